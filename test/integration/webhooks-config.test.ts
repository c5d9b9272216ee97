import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { addMember, createAccount, expectProblem, registerAdmin, type AdminSession } from '../helpers/admin.js';
import { useTestContext } from '../helpers/context.js';

/**
 * A developer's server written from WeChat's specification, not from the code under test: it checks
 * signature = sha1(sort(token, timestamp, nonce)) and answers as `answer` says.
 */
type Answer = 'echo' | 'wrong-body' | 'http-500' | 'hang' | 'echo-with-newline';
interface Receiver {
  url: string;
  requests: URL[];
  signaturesValid: boolean[];
  close(): Promise<void>;
}

const openServers = new Set<Server>();
afterEach(async () => {
  // closeAllConnections first: a request left hanging must not keep its server open.
  await Promise.all(
    [...openServers].map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
  openServers.clear();
});

async function startReceiver(token: string, answer: Answer): Promise<Receiver> {
  const requests: URL[] = [];
  const signaturesValid: boolean[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://receiver');
    requests.push(url);
    const [timestamp, nonce, echostr] = ['timestamp', 'nonce', 'echostr'].map((name) => url.searchParams.get(name) ?? '');
    const expected = createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
    signaturesValid.push(url.searchParams.get('signature') === expected);
    if (answer === 'hang') return; // never answers
    if (answer === 'http-500') return void response.writeHead(500).end('boom');
    if (answer === 'wrong-body') return void response.writeHead(200).end('hello, not the echostr');
    if (answer === 'echo-with-newline') return void response.writeHead(200).end(`${echostr}\n`);
    response.writeHead(200, { 'content-type': 'text/plain' }).end(echostr);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  openServers.add(server);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/wechat?from=config`,
    requests,
    signaturesValid,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('configuring the developer server', () => {
  const ctx = useTestContext({ WEBHOOK_TIMEOUT_MS: '700' });
  const inject = (session: AdminSession, method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object) =>
    ctx.app.inject({ method, url, headers: session.headers, ...(payload ? { payload } : {}) });

  async function setup() {
    const owner = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    return { owner, account, base: `/v1/accounts/${account.id}/webhook` };
  }

  it('verifies the URL as WeChat does, then saves it; the key is made when none is given and shown that once', async () => {
    const { owner, base } = await setup();
    const receiver = await startReceiver('Token123', 'echo');
    const saved = await inject(owner, 'PUT', base, { url: receiver.url, token: 'Token123', mode: 'safe' });
    expect(saved.statusCode, saved.body).toBe(200);
    const key = saved.json().encodingAESKey as string;
    expect(key).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(saved.json()).toMatchObject({ url: receiver.url, token: 'Token123', mode: 'safe' });

    // One GET carrying signature, timestamp, nonce and echostr beside the URL's own query, correctly signed.
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request!.searchParams.get('from')).toBe('config');
    for (const name of ['signature', 'timestamp', 'nonce', 'echostr']) expect(request!.searchParams.get(name)).toMatch(/^[0-9a-f]+$/);
    expect(receiver.signaturesValid).toEqual([true]);
    expect(Math.abs(Number(request!.searchParams.get('timestamp')) - ctx.clock.now().getTime() / 1000)).toBeLessThan(2);

    // Shown masked from then on.
    const shown = (await inject(owner, 'GET', base)).json();
    expect(shown).toMatchObject({ url: receiver.url, mode: 'safe' });
    expect(shown.token).toBe('********');
    expect(shown.encodingAESKey).toBe(`${key.slice(0, 3)}${'*'.repeat(37)}${key.slice(-3)}`);

    // Saving again without a key keeps the key (masked, since the caller did not send it) and verifies again.
    const again = await inject(owner, 'PUT', base, { url: receiver.url, token: 'Token123', mode: 'plaintext' });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().encodingAESKey).toBe(shown.encodingAESKey);
    expect(receiver.requests).toHaveLength(2);
  });

  it.each([
    ['answers something else', 'wrong-body' as const, { status: 200, firstBytes: 'hello, not the echostr' }],
    ['adds a newline to the echostr', 'echo-with-newline' as const, { status: 200 }],
    ['answers 500', 'http-500' as const, { status: 500, firstBytes: 'boom' }],
    ['never answers', 'hang' as const, { error: { code: 'timeout' } }],
  ])('a server that %s is not saved: 422 with what it did', async (_what, answer, verification) => {
    const { owner, base } = await setup();
    const receiver = await startReceiver('Token123', answer);
    const started = Date.now();
    const refused = await inject(owner, 'PUT', base, { url: receiver.url, token: 'Token123', mode: 'plaintext' });
    expectProblem(refused, 422, 'WEBHOOK_VERIFICATION_FAILED');
    expect(refused.json().verification).toMatchObject(verification);
    expect(Date.now() - started).toBeLessThan(5_000);
    expectProblem(await inject(owner, 'GET', base), 404, 'WEBHOOK_NOT_CONFIGURED');
    await receiver.close();
  });

  it('a closed port is a 422 naming the refused connection; a failed change leaves the working configuration', async () => {
    const { owner, base } = await setup();
    const good = await startReceiver('Token123', 'echo');
    expect((await inject(owner, 'PUT', base, { url: good.url, token: 'Token123', mode: 'compatible' })).statusCode).toBe(200);
    const gone = await startReceiver('Token123', 'echo');
    await gone.close();
    const refused = await inject(owner, 'PUT', base, { url: gone.url, token: 'Token123', mode: 'plaintext' });
    expectProblem(refused, 422, 'WEBHOOK_VERIFICATION_FAILED');
    expect(refused.json().verification.error.code).toBe('connection_refused');
    expect((await inject(owner, 'GET', base)).json()).toMatchObject({ url: good.url, mode: 'compatible' });
  });

  it('a new AES key is in use at once and shown in full once; removing stops it all', async () => {
    const { owner, base } = await setup();
    expectProblem(await inject(owner, 'POST', `${base}/aes-key`), 404, 'WEBHOOK_NOT_CONFIGURED');
    const receiver = await startReceiver('Token123', 'echo');
    const key = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
    const saved = await inject(owner, 'PUT', base, { url: receiver.url, token: 'Token123', encodingAESKey: key, mode: 'safe' });
    expect(saved.json().encodingAESKey).toBe(key);
    const renewed = await inject(owner, 'POST', `${base}/aes-key`);
    expect(renewed.statusCode, renewed.body).toBe(200);
    expect(renewed.json().encodingAESKey).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(renewed.json().encodingAESKey).not.toBe(key);
    expect(renewed.json().token).toBe('********');
    expect((await inject(owner, 'GET', base)).json().encodingAESKey).toBe(`${renewed.json().encodingAESKey.slice(0, 3)}${'*'.repeat(37)}${renewed.json().encodingAESKey.slice(-3)}`);

    expect((await inject(owner, 'DELETE', base)).statusCode).toBe(204);
    expectProblem(await inject(owner, 'GET', base), 404, 'WEBHOOK_NOT_CONFIGURED');
    expectProblem(await inject(owner, 'DELETE', base), 404, 'WEBHOOK_NOT_CONFIGURED');
  });

  it('is for owners: an admin gets 403, a stranger 404, and nothing is requested of the server', async () => {
    const { owner, account, base } = await setup();
    const admin = await registerAdmin(ctx.app);
    await addMember(ctx.app, owner, account.id, admin, 'admin');
    const stranger = await registerAdmin(ctx.app);
    const receiver = await startReceiver('Token123', 'echo');
    const body = { url: receiver.url, token: 'Token123', mode: 'plaintext' };
    expectProblem(await inject(admin, 'PUT', base, body), 403, 'FORBIDDEN');
    expectProblem(await inject(admin, 'GET', base), 403, 'FORBIDDEN');
    expectProblem(await inject(stranger, 'PUT', base, body), 404, 'ACCOUNT_NOT_FOUND');
    expect(receiver.requests).toHaveLength(0);
  });

  it.each([
    ['a token of 2 characters', { token: 'ab' }],
    ['a token of 33 characters', { token: 'a'.repeat(33) }],
    ['a token with a symbol', { token: 'abc-123' }],
    ['a key of 42 characters', { encodingAESKey: 'a'.repeat(42) }],
    ['a key with a symbol', { encodingAESKey: `${'a'.repeat(42)}+` }],
    ['an unknown mode', { mode: 'aes' }],
    ['an ftp URL', { url: 'ftp://127.0.0.1/x' }],
    ['a URL without a host', { url: 'https://' }],
    ['an unknown field', { extra: 1 }],
  ])('refuses %s with 400 before calling anyone', async (_what, change) => {
    const { owner, base } = await setup();
    const receiver = await startReceiver('Token123', 'echo');
    expectProblem(await inject(owner, 'PUT', base, { url: receiver.url, token: 'Token123', mode: 'plaintext', ...change }), 400, 'VALIDATION_FAILED');
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('a developer server on a private address, where they are not allowed (production)', () => {
  const ctx = useTestContext({ WEBHOOK_ALLOW_PRIVATE: 'false' });

  it.each(['http://127.0.0.1:{port}/', 'http://localhost:{port}/', 'http://[::1]:{port}/', 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/'])(
    'refuses %s without sending it anything',
    async (template) => {
      const owner = await registerAdmin(ctx.app);
      const account = await createAccount(ctx.app, owner);
      const receiver = await startReceiver('Token123', 'echo');
      const port = new URL(receiver.url).port;
      const url = template.replace('{port}', port);
      const refused = await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/webhook`, headers: owner.headers, payload: { url, token: 'Token123', mode: 'plaintext' } });
      expectProblem(refused, 422, 'WEBHOOK_VERIFICATION_FAILED');
      expect(refused.json().verification.error.code).toBe('forbidden_address');
      expect(receiver.requests).toHaveLength(0);
    },
  );
});
