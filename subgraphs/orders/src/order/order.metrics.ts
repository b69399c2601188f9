import { Counter, type Registry } from '@shop/observability';
import type { CancellationReason } from './order.model.js';

/** How a checkout ended: CONFIRMED, or the reason it was cancelled. */
export type SagaOutcome = 'CONFIRMED' | CancellationReason;

/** Counts finished orders (`shop_saga_outcomes_total`); called after the transaction that finished them committed. */
export interface SagaOutcomes {
  record(outcome: SagaOutcome, orders?: number): void;
}

export function createSagaOutcomes(registry: Registry): SagaOutcomes {
  const outcomes = new Counter({
    name: 'shop_saga_outcomes_total',
    help: 'Orders that left PENDING, by outcome (CONFIRMED or the cancellation reason)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return {
    record: (outcome, orders = 1) => {
      if (orders > 0) outcomes.inc({ outcome }, orders);
    },
  };
}
