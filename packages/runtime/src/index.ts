export { listen, mountMetrics, mountProbes, type ListeningServer } from './http-server.js';
export { runPeriodically, type PeriodicTask } from './periodic.js';
export { stopOnSignals } from './shutdown.js';
export { FolderInUseError, lockFolder } from './folder-lock.js';
