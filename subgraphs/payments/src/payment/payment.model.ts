/**
 * The payment's own vocabulary. The API's `PaymentStatus` enum is this
 * (codegen.ts maps it with `enumValues`), and the `Order` this subgraph
 * extends is an `OrderReference` (a codegen mapper), so generated code
 * imports the domain and never the reverse.
 */

/** Where a payment stands: it leaves PENDING for SUCCEEDED, FAILED or REFUNDED, and a SUCCEEDED one may later be REFUNDED. */
export const PaymentStatus = { PENDING: 'PENDING', SUCCEEDED: 'SUCCEEDED', FAILED: 'FAILED', REFUNDED: 'REFUNDED' } as const;
export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus];

/** The part of an Order this subgraph knows: its key. */
export interface OrderReference {
  id: string;
}
