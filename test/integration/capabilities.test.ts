import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { CAPABILITY_NAMES, CAPABILITY_OF_INTERFACE } from '../../src/modules/accounts/capabilities.js';
import { CAPABILITY_CACHE_TTL_MS } from '../../src/modules/accounts/capabilities.service.js';
import { createAccount, expectProblem, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { sendBroadcast } from '../helpers/broadcasts.js';
import { followers } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { childEnv, startEntryPoint } from '../helpers/processes.js';
import { accessToken, capableAccount, cgi, expectErrcode } from '../helpers/wechat.js';

const ctx = useTestContext();

type Kind = 'unverified subscription' | 'verified subscription' | 'unverified service' | 'verified service';
const KINDS: Kind[] = ['unverified subscription', 'verified subscription', 'unverified service', 'verified service'];

async function accountOf(kind: Kind): Promise<{ owner: AdminSession; account: CreatedAccount; token: string }> {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  const [verified, type] = kind.split(' ') as ['verified' | 'unverified', 'subscription' | 'service'];
  await capableAccount(ctx.app, owner, account, { type, verified: verified === 'verified' });
  return { owner, account, token: await accessToken(ctx.app, account) };
}

/**
 * WeChat's interface-privilege table (../shared/wechat-protocol.md §10.5), written out independently of the seed:
 * which kinds of account may call each sampled interface. Bodies are empty: the capability is checked before them.
 */
const SAMPLE: Array<{ method: 'GET' | 'POST'; path: string; allowed: Kind[] }> = [
  { method: 'POST', path: '/cgi-bin/openapi/quota/get', allowed: KINDS },
  { method: 'GET', path: '/cgi-bin/get_current_selfmenu_info', allowed: KINDS },
  { method: 'GET', path: '/cgi-bin/user/get', allowed: ['verified subscription', 'verified service'] },
  { method: 'POST', path: '/cgi-bin/tags/create', allowed: ['verified subscription', 'verified service'] },
  { method: 'POST', path: '/cgi-bin/message/mass/sendall', allowed: ['verified subscription', 'verified service'] },
  { method: 'POST', path: '/cgi-bin/message/mass/send', allowed: ['verified service'] },
  { method: 'POST', path: '/cgi-bin/media/upload', allowed: ['verified subscription', 'verified service'] },
  { method: 'POST', path: '/datacube/getusersummary', allowed: ['verified subscription', 'verified service'] },
  { method: 'POST', path: '/cgi-bin/menu/create', allowed: ['verified subscription', 'unverified service', 'verified service'] },
  { method: 'POST', path: '/cgi-bin/qrcode/create', allowed: ['verified service'] },
];

/**
 * Every /cgi-bin and /datacube route of the app, with one of its methods. Read from printRoutes' radix tree (each
 * line's text continues its parent's; `commonPrefix: false` leaves out paths that extend another route's path).
 */
function wechatRoutes(): Array<{ method: 'GET' | 'POST'; url: string }> {
  const routes: Array<{ method: 'GET' | 'POST'; url: string }> = [];
  const stack: string[] = [];
  for (const line of ctx.app.printRoutes().split('\n')) {
    const match = /^(.*?)[├└]── (.*?)(?: \(([^)]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = Math.round(match[1]!.length / 4);
    stack[depth] = match[2]!;
    stack.length = depth + 1;
    const url = stack.join('');
    const method = match[3]?.split(', ').find((m) => m === 'GET' || m === 'POST') as 'GET' | 'POST' | undefined;
    if (method && /^\/(cgi-bin|datacube)\//.test(url)) routes.push({ method, url });
  }
  return routes;
}

describe('the capability matrix on /cgi-bin', () => {
  it.each(KINDS)('%s account: may call what WeChat gives it, and gets 48001 naming the capability otherwise', async (kind) => {
    const { token } = await accountOf(kind);
    for (const { method, path, allowed } of SAMPLE) {
      if (!ctx.app.hasRoute({ method, url: path })) continue; // an interface not built yet
      const answer = await cgi(ctx.app, method, path, token, method === 'POST' ? { body: {} } : {});
      if (allowed.includes(kind)) {
        expect(answer.errcode, `${kind} ${path}: ${JSON.stringify(answer)}`).not.toBe(48001);
      } else {
        expectErrcode(answer, 48001);
        expect(answer.errmsg, path).toMatch(new RegExp(`^api unauthorized: ${CAPABILITY_OF_INTERFACE[path]} \\(.+\\) needs .+; this is an? ${kind} account rid: `));
      }
    }
  });

  it('says what would grant the capability', async () => {
    const { token } = await accountOf('verified subscription');
    const send = await cgi(ctx.app, 'POST', '/cgi-bin/message/mass/send', token, { body: {} });
    expect(send.errmsg).toMatch(/^api unauthorized: mass_send_openids \(mass send to a list of openids\) needs a verified service account; this is a verified subscription account rid: /);
    const { token: unverified } = await accountOf('unverified subscription');
    expect((await cgi(ctx.app, 'GET', '/cgi-bin/user/get', unverified)).errmsg).toMatch(/needs a verified account \(微信认证\); this is an unverified subscription account/);
    if (ctx.app.hasRoute({ method: 'POST', url: '/cgi-bin/menu/create' })) {
      expect((await cgi(ctx.app, 'POST', '/cgi-bin/menu/create', unverified, { body: {} })).errmsg).toMatch(/needs a verified subscription account or a service account;/);
    }
  });

  it('the token is checked before the capability: no token is 41001, a malformed one 40014', async () => {
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/user/get', undefined), 41001);
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/user/get', 'not-a-token'), 40014);
  });

  it('every /cgi-bin and /datacube route that takes an access_token has a capability', async () => {
    const routes = wechatRoutes();
    // The parse sees the routes this test knows exist (a check of the parse itself).
    for (const known of ['/cgi-bin/token', '/cgi-bin/user/info', '/cgi-bin/user/info/batchget', '/cgi-bin/message/mass/sendall', '/datacube/getuserreadhour']) {
      expect(routes.map((route) => route.url)).toContain(known);
    }
    const unassigned: string[] = [];
    for (const { method, url } of routes) {
      if (CAPABILITY_OF_INTERFACE[url] !== undefined) continue;
      // Public routes (token, stable_token, showqrcode) do not ask for a token; every other one answers 41001.
      const answer = await ctx.app.inject({ method, url: url.replace(/:(\w+)/g, 'x') });
      if (/"errcode":41001\b/.test(answer.body)) unassigned.push(`${method} ${url}`);
    }
    expect(unassigned, 'routes with no entry in CAPABILITY_OF_INTERFACE').toEqual([]);
    // And every capability named in the table is a known one.
    for (const capability of Object.values(CAPABILITY_OF_INTERFACE)) expect(CAPABILITY_NAMES).toContain(capability);
  });
});

describe('the capability check on /v1', () => {
  const openidSend = async (kind: Kind) => {
    const { owner, account } = await accountOf(kind);
    const fans = await followers(ctx.app, account.appid, 2);
    return sendBroadcast(ctx.app, owner, account.id, { target: { openids: fans.map((f) => f.openid) }, message: { type: 'text', content: 'listed' } });
  };

  it('refuses a broadcast to an openid list unless the account is a verified service account (403 naming the capability)', async () => {
    for (const kind of ['unverified subscription', 'verified subscription', 'unverified service'] as const) {
      const problem = expectProblem(await openidSend(kind), 403, 'CAPABILITY_NOT_ALLOWED');
      expect(problem.detail).toMatch(/^mass_send_openids \(.+\) needs a verified service account; this is /);
      expect(problem).toMatchObject({ capability: 'mass_send_openids', needs: 'a verified service account' });
    }
    expect((await openidSend('verified service')).statusCode).toBe(202);
  });

  it('lets an unverified subscription account send to all followers, as WeChat’s web console does', async () => {
    const { owner, account } = await accountOf('unverified subscription');
    const response = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'hello' } });
    expect(response.statusCode, response.body).toBe(202);
  });
});

describe('GET /v1/accounts/:id', () => {
  const EXPECTED: Record<Kind, string[]> = {
    'unverified subscription': ['basic', 'receive_messages', 'menu_info'],
    'verified subscription': ['basic', 'receive_messages', 'menu', 'conditional_menu', 'menu_info', 'custom_message', 'user_info', 'user_tags', 'mass_send', 'media', 'datacube'],
    'unverified service': ['basic', 'receive_messages', 'menu', 'menu_info'],
    'verified service': CAPABILITY_NAMES,
  };

  it.each(KINDS)('%s account: shows its verification and capabilities', async (kind) => {
    const { owner, account } = await accountOf(kind);
    const response = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}`, headers: owner.headers });
    expect(response.statusCode, response.body).toBe(200);
    const verified = kind.startsWith('verified');
    expect(response.json()).toMatchObject({ verified, verifiedAt: verified ? ctx.clock.now().toISOString() : null, capabilities: EXPECTED[kind] });
  });
});

describe('the policy is data', () => {
  it('a changed capability_policies row takes effect without a restart, once the cache ages out', async () => {
    const { token } = await accountOf('verified subscription');
    const massSend = () => cgi(ctx.app, 'POST', '/cgi-bin/message/mass/send', token, { body: {} });
    expectErrcode(await massSend(), 48001);
    const db = ctx.deps.database.db;
    const setAllowed = (allowed: boolean) =>
      db.execute(sql`UPDATE capability_policies SET allowed = ${allowed}, updated_at = now()
        WHERE capability = 'mass_send_openids' AND account_type = 'subscription' AND verified`);
    await setAllowed(true);
    try {
      ctx.clock.advance(CAPABILITY_CACHE_TTL_MS);
      expect((await massSend()).errcode).not.toBe(48001);
    } finally {
      await setAllowed(false);
      ctx.clock.advance(CAPABILITY_CACHE_TTL_MS);
    }
    expectErrcode(await massSend(), 48001);
  });
});

describe('npm run account:verify', () => {
  const run = async (args: string[]) => {
    const cli = startEntryPoint('src/cli/account-verify.ts', childEnv(ctx), args);
    return { ...(await cli.exited), output: cli.output() };
  };

  it('verifies an account and revokes it; its /cgi-bin calls follow at once', async () => {
    const { owner, account, token } = await accountOf('unverified subscription');
    const view = async () => (await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}`, headers: owner.headers })).json();
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/user/get', token), 48001);

    const verified = await run(['--appid', account.appid]);
    expect(verified, verified.output).toMatchObject({ code: 0 });
    expect(verified.output).toMatch(new RegExp(`Account ${account.appid} \\(Test Account, subscription\\) is verified \\(微信认证\\) since \\S+; capabilities: .*user_info`));
    expect(await view()).toMatchObject({ verified: true, verifiedAt: expect.any(String), capabilities: expect.arrayContaining(['user_info', 'mass_send']) });
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/user/get', token)).toMatchObject({ total: 0, count: 0 });

    const revoked = await run(['--appid', account.appid, '--revoke']);
    expect(revoked, revoked.output).toMatchObject({ code: 0 });
    expect(revoked.output).toContain('is not verified');
    expect(await view()).toMatchObject({ verified: false, verifiedAt: null, capabilities: ['basic', 'receive_messages', 'menu_info'] });
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/user/get', token), 48001);
  });

  it('refuses an unknown AppID (exit 1) and a missing one (exit 2)', async () => {
    const unknown = await run(['--appid', 'wx0000000000000000']);
    expect(unknown, unknown.output).toMatchObject({ code: 1 });
    expect(unknown.output).toContain('No account has the AppID wx0000000000000000');
    const missing = await run([]);
    expect(missing, missing.output).toMatchObject({ code: 2 });
    expect(missing.output).toContain('usage: npm run account:verify -- --appid APPID [--revoke]');
  });
});
