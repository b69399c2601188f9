export { launcherConfigFromEnv, SERVICE_NAMES, type EventsConfig, type LauncherConfig, type ServiceName } from './config.js';
export { startSupergraph, type RunningSupergraph } from './supergraph.js';
