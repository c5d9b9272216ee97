import { parseArgs } from 'node:util';
import { seedAccount } from '../db/seed/seed-account.js';
import { createDepsOrExit, loadConfigOrExit, migrateOrExit } from '../startup.js';

/**
 * `npm run seed -- --followers 1000000 --days 365 --delivery-days 30`: a demo or benchmark account with followers,
 * follow history, messages, one sent broadcast a day with reads, and delivery rows for the broadcasts of the last
 * --delivery-days days (what followers' inboxes show), written in bulk. Prints the account's credentials and an
 * owner login at the end.
 */
const { values } = parseArgs({
  options: {
    followers: { type: 'string', default: '10000' },
    days: { type: 'string', default: '365' },
    churn: { type: 'string', default: '0.12' },
    'chunk-size': { type: 'string', default: '50000' },
    concurrency: { type: 'string', default: '2' },
    'message-senders': { type: 'string', default: '0.03' },
    'delivery-days': { type: 'string', default: '30' },
  },
});

function positiveNumber(name: string, value: string, { integer = true, max = Number.MAX_SAFE_INTEGER } = {}) {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || number > max || (integer && !Number.isInteger(number))) {
    console.error(`--${name} must be ${integer ? 'a whole number' : 'a number'} from 0 to ${max}, got "${value}"`);
    process.exit(2);
  }
  return number;
}

const options = {
  followers: positiveNumber('followers', values.followers!),
  days: Math.max(1, positiveNumber('days', values.days!, { max: 3650 })),
  churnRate: positiveNumber('churn', values.churn!, { integer: false, max: 0.9 }),
  chunkSize: Math.max(1, positiveNumber('chunk-size', values['chunk-size']!, { max: 1_000_000 })),
  concurrency: Math.max(1, positiveNumber('concurrency', values.concurrency!, { max: 16 })),
  messageSenderRate: positiveNumber('message-senders', values['message-senders']!, { integer: false, max: 1 }),
  broadcastHistory: true,
  deliveryDays: positiveNumber('delivery-days', values['delivery-days']!, { max: 3650 }),
};

const config = loadConfigOrExit('cli');
await migrateOrExit('cli', config);
const deps = await createDepsOrExit('cli', config);
const started = performance.now();
let lastReport = 0;
try {
  const result = await seedAccount(deps, options, (stage, done, total) => {
    const now = performance.now();
    if (done === total || now - lastReport > 1000) {
      lastReport = now;
      const seconds = (now - started) / 1000;
      process.stderr.write(`${stage}: ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${Math.round((100 * done) / Math.max(total, 1))}%) after ${seconds.toFixed(1)} s\n`);
    }
  });
  console.log(
    [
      `Seeded account ${result.accountId} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      `  followers:   ${result.followers} current, ${result.unfollowed} unfollowed, over ${options.days} days`,
      `  messages:    ${result.messages}`,
      `  broadcasts:  ${result.broadcasts} (one a day), with ${result.engagements} reads, shares and favourites`,
      `  deliveries:  ${result.deliveries} (the broadcasts of the last ${Math.min(options.deliveryDays, options.days)} days)`,
      `  appid:       ${result.appid}`,
      `  appsecret:   ${result.appsecret}`,
      `  owner login: ${result.ownerEmail} / ${result.ownerPassword}`,
    ].join('\n'),
  );
} finally {
  await deps.close();
}
