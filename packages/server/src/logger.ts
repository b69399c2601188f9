export { createLogger, type Logger } from '@shop/observability';
