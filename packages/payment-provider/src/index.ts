export {
  createPaymentProviderClient,
  PaymentProviderRequestError,
  PaymentProviderUnavailableError,
  retryBackoff,
  type BreakerState,
  type ChargeRequest,
  type ChargeResult,
  type PaymentProviderClient,
  type PaymentProviderClientOptions,
  type RefundRequest,
  type RefundResult,
} from './client.js';
export {
  PROCESSING_ERROR_FAILURES,
  startPaymentProvider,
  TEST_TOKENS,
  type ChargeRecord,
  type DeclineCode,
  type Faults,
  type PaymentProviderOptions,
  type ProviderStats,
  type RunningPaymentProvider,
} from './simulator.js';
