export {
  PoisonMessageError,
  STREAMS,
  type ConsumerOptions,
  type DeadLetter,
  type Delivery,
  type EventEnvelope,
  type EventTransport,
  type PublishOptions,
  type StreamName,
  type Subscription,
  type Watch,
  type WatchListener,
} from './transport.js';
export { connectJetStream, deleteJetStreamNamespace, type JetStreamTransportOptions } from './jetstream-transport.js';
export {
  createInProcessTransport,
  type InProcessTransport,
  type InProcessTransportOptions,
} from './in-process-transport.js';
export { DEFAULT_BACKOFF_MS, DEFAULT_CONCURRENCY, DEFAULT_MAX_DELIVER, type EventLogger } from './consumer-policy.js';
export { deadLetterSubject, streamForSubject, subjectMatches } from './subjects.js';
export {
  createEvent,
  decodeEvent,
  EVENT_CATALOGUE,
  type DomainEvent,
  type DomainEventOf,
  type EventData,
  type EventType,
  type OutgoingEvent,
} from './catalogue.js';
