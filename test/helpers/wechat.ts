import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { AdminSession, CreatedAccount } from './admin.js';
import { depsOf } from './context.js';

/** A fresh access token for the account through `GET /cgi-bin/token`, as an SDK gets one. */
export async function accessToken(app: FastifyInstance, account: Pick<CreatedAccount, 'appid' | 'appsecret'>): Promise<string> {
  const response = await app.inject({
    method: 'GET',
    url: '/cgi-bin/token',
    query: { grant_type: 'client_credential', appid: account.appid, secret: account.appsecret },
  });
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json();
  expect(body.access_token, response.body).toEqual(expect.any(String));
  return body.access_token as string;
}

/**
 * Calls a WeChat-compatible interface with the token and returns the parsed JSON answer (always HTTP 200, as on
 * WeChat). `body` is sent as JSON; `query` adds parameters besides the token.
 */
export async function cgi(
  app: FastifyInstance,
  method: 'GET' | 'POST',
  path: string,
  token: string | undefined,
  options: { body?: unknown; query?: Record<string, string> } = {},
): Promise<Record<string, unknown>> {
  const response = await app.inject({
    method,
    url: path,
    query: { ...(token === undefined ? {} : { access_token: token }), ...options.query },
    ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body), headers: { 'content-type': 'application/json' } }),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

/** Expects a WeChat error answer with this errcode and a ` rid: ` suffix on its errmsg. */
export function expectErrcode(answer: Record<string, unknown>, errcode: number): void {
  expect(answer, JSON.stringify(answer)).toMatchObject({ errcode, errmsg: expect.stringMatching(/ rid: \S+$/) });
}

/**
 * Makes an account able to call the interfaces a test needs: a service account when asked (the one-time choice),
 * and verified (微信认证) when asked. The capability policy decides what each type and verification may call.
 */
export async function capableAccount(
  app: FastifyInstance,
  owner: AdminSession,
  account: Pick<CreatedAccount, 'id'>,
  options: { type?: 'subscription' | 'service'; verified?: boolean } = {},
): Promise<void> {
  if (options.type === 'service') {
    const response = await app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/type`, headers: owner.headers, payload: { type: 'service' } });
    expect(response.statusCode, response.body).toBe(200);
  }
  if (options.verified !== undefined) {
    // Verification is a platform operator's act: the service call that `npm run account:verify` makes.
    const { appid } = await accountAppid(app, owner, account);
    await depsOf(app).services.accounts.setVerified(appid, options.verified);
  }
}

async function accountAppid(app: FastifyInstance, owner: AdminSession, account: Pick<CreatedAccount, 'id'>): Promise<{ appid: string }> {
  if ('appid' in account && typeof account.appid === 'string') return { appid: account.appid };
  const response = await app.inject({ method: 'GET', url: `/v1/accounts/${account.id}`, headers: owner.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}
