/**
 * The order's own vocabulary. The API's `OrderStatus` and
 * `CancellationReason` enums are these (codegen.ts maps them with
 * `enumValues`), so generated code imports the domain and never the reverse.
 * Each is an object of its values and the type of those values: generated
 * code re-exports it as a value, and a test holds it equal to the schema's enum.
 */

/** Where an order stands in the checkout saga: PENDING until it is confirmed or cancelled. */
export const OrderStatus = { PENDING: 'PENDING', CONFIRMED: 'CONFIRMED', CANCELLED: 'CANCELLED' } as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/** Why a CANCELLED order was cancelled. */
export const CancellationReason = {
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  PAYMENT_DECLINED: 'PAYMENT_DECLINED',
  CUSTOMER_CANCELLED: 'CUSTOMER_CANCELLED',
  TIMED_OUT: 'TIMED_OUT',
} as const;
export type CancellationReason = (typeof CancellationReason)[keyof typeof CancellationReason];

/** How an order leaves PENDING: confirmed, or cancelled for a reason. */
export type OrderOutcome = { status: 'CONFIRMED' } | { status: 'CANCELLED'; reason: CancellationReason };
