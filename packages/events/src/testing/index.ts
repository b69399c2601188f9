/** Test tooling for NATS: a private nats-server a test may stop and restart, and polling helpers. */
export { createPrivateNats, freePort, freePorts, NATS_SERVER_BIN, natsServerAvailable, type PrivateNats } from './private-nats.js';
export { isReachable, waitFor } from './wait.js';
