/**
 * Prints a signed JWT that the local server accepts.
 *   npm run -s token -- --sub alice [--role admin] [--ttl 3600]
 */
import { parseArgs } from 'node:util';
import { USER_ID_PATTERN } from '../worker/auth/principal';
import { signToken } from '../worker/auth/sign-token';
import { localVars } from './local-config';

const { values } = parseArgs({
  options: { sub: { type: 'string' }, role: { type: 'string', default: 'user' }, ttl: { type: 'string', default: '3600' } },
});
if (!values.sub || !USER_ID_PATTERN.test(values.sub)) {
  console.error('usage: npm run -s token -- --sub <user id> [--role user|admin] [--ttl seconds]');
  process.exit(2);
}
if (values.role !== 'user' && values.role !== 'admin') {
  console.error('--role must be user or admin');
  process.exit(2);
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error('--ttl must be a positive whole number of seconds');
  process.exit(2);
}
const vars = localVars();
if (!vars.JWT_SECRET) {
  console.error('JWT_SECRET is not set: copy .dev.vars.example to .dev.vars (npm start does this).');
  process.exit(1);
}
console.log(
  await signToken(
    { userId: values.sub, role: values.role },
    { secret: vars.JWT_SECRET, issuer: vars.JWT_ISSUER ?? 'foyer-local', audience: vars.JWT_AUDIENCE ?? 'foyer', ttlSeconds: ttl },
  ),
);
