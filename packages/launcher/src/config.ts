import { resolve } from 'node:path';
import { z } from 'zod';
import { databaseConfigFromEnv, type DatabaseConfig } from '@shop/database';
import { routerConfigFromEnv, type RouterConfig } from '@shop/router';

export const SERVICE_NAMES = ['products', 'orders', 'payments', 'router'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface LauncherConfig {
  production: boolean;
  database: DatabaseConfig;
  host: string;
  ports: { products: number; orders: number; payments: number };
  /** Fill an empty catalog with demo products. */
  seedDemoData: boolean;
  /** Which services this process runs (all of them by default; one per container in deployment). */
  services: ReadonlySet<ServiceName>;
  router: RouterConfig;
}

const port = z.coerce.number().int().min(0).max(65_535);
const bool = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('.data'),
  PRODUCTS_PORT: port.default(4001),
  ORDERS_PORT: port.default(4002),
  PAYMENTS_PORT: port.default(4003),
  SEED_DEMO_DATA: bool.optional(),
  SERVICES: z
    .string()
    .default(SERVICE_NAMES.join(','))
    .transform((value) => value.split(',').map((name) => name.trim()).filter(Boolean))
    .pipe(z.array(z.enum(SERVICE_NAMES)).min(1)),
});

/** Reads the whole process's settings once; throws a readable error when they are wrong. */
export function launcherConfigFromEnv(env: NodeJS.ProcessEnv): LauncherConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid configuration:\n${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  return {
    production,
    database: databaseConfigFromEnv(env, resolve(e.DATA_DIR, 'pglite')),
    host: e.HOST,
    ports: { products: e.PRODUCTS_PORT, orders: e.ORDERS_PORT, payments: e.PAYMENTS_PORT },
    seedDemoData: e.SEED_DEMO_DATA ?? !production,
    services: new Set(e.SERVICES),
    router: routerConfigFromEnv(env),
  };
}
