export { startConsumer, type EventHandlers } from './consumer.js';
export { applyOnce } from './inbox.js';
export { startMessaging, type ConsumerDefinition, type Messaging, type MessagingOptions } from './messaging.js';
export { createOutboxAndInboxV1 } from './migration.js';
export { appendToOutbox } from './outbox.js';
export { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './relay.js';
export type { InboxTable, OutboxTables, OutboxTable } from './tables.js';
