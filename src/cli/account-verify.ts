import { parseArgs } from 'node:util';
import { isAppError } from '../errors.js';
import { createDepsOrExit, loadConfigOrExit, migrateOrExit } from '../startup.js';

/**
 * `npm run account:verify -- --appid WX [--revoke]`: grants (or with --revoke withdraws) WeChat verification
 * (微信认证) for one account. Verification is the platform operator's act, as on WeChat, where Tencent reviews the
 * account's documents: no admin API route sets it, so no account member can verify their own account. What a
 * verified account may call is the capability policy's (capability_policies); the new capabilities are printed.
 */
const { values } = parseArgs({ options: { appid: { type: 'string' }, revoke: { type: 'boolean', default: false } } });
if (!values.appid) {
  console.error('usage: npm run account:verify -- --appid APPID [--revoke]');
  process.exit(2);
}

const config = loadConfigOrExit('cli');
await migrateOrExit('cli', config);
const deps = await createDepsOrExit('cli', config);
try {
  const { account, capabilities } = await deps.services.accounts.setVerified(values.appid, !values.revoke);
  const state = account.verifiedAt ? `verified (微信认证) since ${account.verifiedAt.toISOString()}` : 'not verified';
  console.log(`Account ${account.appid} (${account.name}, ${account.type}) is ${state}; capabilities: ${capabilities.join(', ')}`);
} catch (error) {
  if (!isAppError(error)) throw error;
  console.error(error.message);
  process.exitCode = 1;
} finally {
  await deps.close();
}
