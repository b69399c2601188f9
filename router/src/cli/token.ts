/**
 * Mints a development JWT signed with the router's secret.
 *   npm run token -- --sub alice --role customer
 *   npm run token -- --sub root --role admin --role customer --expires 1h
 */
import { parseArgs } from 'node:util';
import { parseRoles } from '@shop/graphql';
import { signDevelopmentToken } from '../auth.js';
import { routerConfigFromEnv } from '../config.js';

const USAGE = `Mints a development JWT signed with the router's JWT_SECRET (the same environment as \`npm start\`).

Usage: npm run token -- --sub <user id> [--role customer|admin]... [--expires 12h]

  --sub <id>        the user the token speaks for (required)
  --role <role>     customer (default) or admin; repeat for both
  --expires <time>  lifetime, e.g. 30m, 12h, 7d (default 12h)
  --help            this text`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(1);
}

let values: { sub?: string; role: string[]; expires: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      sub: { type: 'string' },
      role: { type: 'string', multiple: true, default: ['customer'] },
      expires: { type: 'string', default: '12h' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const config = routerConfigFromEnv(process.env);
if (config.jwt.kind !== 'secret') {
  console.error('The router verifies tokens against JWKS_URL: mint tokens with your identity provider.');
  process.exit(1);
}
if (!values.sub) fail('--sub is required.');
const roles = [...parseRoles(values.role)];
if (roles.length !== values.role.length) fail(`Roles must be "customer" or "admin", got ${values.role.join(', ')}.`);
console.log(await signDevelopmentToken(config.jwt.secret, { sub: values.sub, roles, expiresIn: values.expires }));
