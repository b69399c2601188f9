/**
 * Vitest setup (vitest.config.ts): pino writes to stdout itself, past vitest's
 * console capture, so a passing run printed every service's logs. Routed
 * through console.log, they are held back for tests that pass
 * (`silent: 'passed-only'`) and shown with a test that fails.
 */
import { routeLogs } from '@shop/observability';

routeLogs((line) => console.log(line.trimEnd()));
