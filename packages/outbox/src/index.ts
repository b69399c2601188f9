export { startConsumer, type EventHandlers } from './consumer.js';
export { applyOnce } from './inbox.js';
export { DEFAULT_RETENTION, startMessaging, type ConsumerDefinition, type Messaging, type MessagingOptions } from './messaging.js';
export { addOutboxAndInboxRetentionIndexesV2, createOutboxAndInboxV1 } from './migration.js';
export { appendToOutbox } from './outbox.js';
export { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './relay.js';
export { startRetention, type Retention, type RetentionOptions } from './retention.js';
export type { InboxTable, OutboxTables, OutboxTable } from './tables.js';
export { createOutbox, type CommittedEvents, type Emit, type Outbox, type Work } from './unit-of-work.js';
