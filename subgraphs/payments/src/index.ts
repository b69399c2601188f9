export { startPaymentsSubgraph, type PaymentsSubgraph, type PaymentsSubgraphOptions } from './subgraph.js';
export { insertPayment } from './payment/payment.repository.js';
export type { NewPaymentRow, PaymentRow, PaymentsDatabase } from './payment/payment.table.js';
export { migrations } from './migrations/index.js';
export { paymentEventHandlers } from './payment/payment.events.js';
export { createPaymentService, type PaymentService, type PaymentServiceOptions } from './payment/payment.service.js';
