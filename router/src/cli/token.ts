/**
 * Mints a development JWT signed with the router's secret.
 *   npm run token -- --sub alice --role customer
 *   npm run token -- --sub root --role admin --role customer --expires 1h
 */
import { parseArgs } from 'node:util';
import { parseRoles } from '@shop/graphql';
import { signDevelopmentToken } from '../auth.js';
import { routerConfigFromEnv } from '../config.js';

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    role: { type: 'string', multiple: true, default: ['customer'] },
    expires: { type: 'string', default: '12h' },
  },
});
const config = routerConfigFromEnv(process.env);
if (config.jwt.kind !== 'secret') {
  console.error('The router verifies tokens against JWKS_URL: mint tokens with your identity provider.');
  process.exit(1);
}
if (!values.sub) {
  console.error('Usage: npm run token -- --sub <user id> [--role customer|admin]... [--expires 12h]');
  process.exit(1);
}
const roles = [...parseRoles(values.role)];
if (roles.length !== values.role.length) {
  console.error(`Roles must be "customer" or "admin", got ${values.role.join(', ')}`);
  process.exit(1);
}
console.log(await signDevelopmentToken(config.jwt.secret, { sub: values.sub, roles, expiresIn: values.expires }));
