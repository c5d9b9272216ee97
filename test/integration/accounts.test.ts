import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { appsecretMatches } from '../../src/modules/accounts/credentials.js';
import { findAccount, findMembership } from '../../src/modules/accounts/accounts.repo.js';
import { addMember, createAccount, expectProblem, registerAdmin } from '../helpers/admin.js';
import { useTestContext } from '../helpers/context.js';

const ctx = useTestContext();

describe('creating accounts', () => {
  it('returns WeChat-shaped credentials once and stores only a hash of the secret', async () => {
    const owner = await registerAdmin(ctx.app);
    const response = await ctx.app.inject({ method: 'POST', url: '/v1/accounts', headers: owner.headers, payload: { name: '  My Paper ' } });
    expect(response.statusCode).toBe(201);
    const account = response.json();
    expect(account).toMatchObject({ name: 'My Paper', type: 'subscription', typeLocked: false, role: 'owner', broadcastSpeed: null });
    expect(account.appid).toMatch(/^wx[0-9a-f]{16}$/);
    expect(account.appsecret).toMatch(/^[0-9a-f]{32}$/);
    expect(account.originalId).toMatch(/^gh_[0-9a-f]{12}$/);

    const stored = await findAccount(ctx.deps.database.db, account.id);
    expect(stored!.appsecretHash).not.toContain(account.appsecret);
    expect(appsecretMatches(account.appsecret, stored!.appsecretHash)).toBe(true);

    const fetched = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}`, headers: owner.headers });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).not.toHaveProperty('appsecret');
    expect(fetched.json()).not.toHaveProperty('appsecretHash');
  });

  it('lists only the accounts the user belongs to', async () => {
    const alice = await registerAdmin(ctx.app);
    const bob = await registerAdmin(ctx.app);
    const a1 = await createAccount(ctx.app, alice, 'A1');
    const a2 = await createAccount(ctx.app, alice, 'A2');
    await createAccount(ctx.app, bob, 'B1');
    const list = await ctx.app.inject({ method: 'GET', url: '/v1/accounts', headers: alice.headers });
    expect(list.json().items.map((a: { id: number }) => a.id)).toEqual([a1.id, a2.id]);
  });

  it.each([{}, { name: '' }, { name: '   ' }, { name: 'x'.repeat(65) }, { name: 'ok', type: 'service' }])('rejects %j', async (payload) => {
    const owner = await registerAdmin(ctx.app);
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/v1/accounts', headers: owner.headers, payload }), 400, 'VALIDATION_FAILED');
  });

  it('resets the secret: the new one matches, the old one no longer does', async () => {
    const owner = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    const reset = await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/secret`, headers: owner.headers });
    expect(reset.statusCode).toBe(200);
    const { appid, appsecret } = reset.json();
    expect(appid).toBe(account.appid);
    expect(appsecret).not.toBe(account.appsecret);
    const stored = await findAccount(ctx.deps.database.db, account.id);
    expect(appsecretMatches(appsecret, stored!.appsecretHash)).toBe(true);
    expect(appsecretMatches(account.appsecret, stored!.appsecretHash)).toBe(false);
  });
});

describe('access to an account', () => {
  it('is 404 for a user who is not a member, exactly as for an account that does not exist', async () => {
    const owner = await registerAdmin(ctx.app);
    const stranger = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    const foreign = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}`, headers: stranger.headers });
    const missing = await ctx.app.inject({ method: 'GET', url: '/v1/accounts/999999999', headers: stranger.headers });
    expectProblem(foreign, 404, 'ACCOUNT_NOT_FOUND');
    expectProblem(missing, 404, 'ACCOUNT_NOT_FOUND');
    for (const [method, url] of [
      ['PUT', `/v1/accounts/${account.id}/type`],
      ['POST', `/v1/accounts/${account.id}/secret`],
      ['GET', `/v1/accounts/${account.id}/quota`],
      ['GET', `/v1/accounts/${account.id}/members`],
    ] as const) {
      const response = await ctx.app.inject({ method, url, headers: stranger.headers, ...(method === 'PUT' ? { payload: { type: 'service' } } : {}) });
      expectProblem(response, 404, 'ACCOUNT_NOT_FOUND');
    }
  });

  it('is 403 for a member whose role lacks the permission', async () => {
    const owner = await registerAdmin(ctx.app);
    const admin = await registerAdmin(ctx.app);
    const analyst = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    await addMember(ctx.app, owner, account.id, admin, 'admin');
    await addMember(ctx.app, owner, account.id, analyst, 'analyst');

    for (const member of [admin, analyst]) {
      const get = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}`, headers: member.headers });
      expect(get.statusCode).toBe(200);
      const chooseType = await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/type`, headers: member.headers, payload: { type: 'service' } });
      expectProblem(chooseType, 403, 'FORBIDDEN');
      const resetSecret = await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/secret`, headers: member.headers });
      expectProblem(resetSecret, 403, 'FORBIDDEN');
      const addSomeone = await ctx.app.inject({
        method: 'POST',
        url: `/v1/accounts/${account.id}/members`,
        headers: member.headers,
        payload: { email: owner.email, role: 'analyst' },
      });
      expectProblem(addSomeone, 403, 'FORBIDDEN');
    }
    const members = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/members`, headers: analyst.headers });
    expect(members.json().items.map((m: { role: string }) => m.role).sort()).toEqual(['admin', 'analyst', 'owner']);
  });

  it("is checked by a prepared read that gives the account row as the query builder does, every column alike", async () => {
    const owner = await registerAdmin(ctx.app);
    const analyst = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    await addMember(ctx.app, owner, account.id, analyst, 'analyst');
    const db = ctx.deps.database.db;
    // Every nullable column set, so that a column read under the wrong name or type cannot pass as null.
    await db.execute(sql`UPDATE accounts SET broadcast_speed = 3, verified_at = '2026-03-04T05:06:07.891Z' WHERE id = ${account.id}`);
    const built = await findAccount(db, account.id);
    for (const [member, role] of [[owner, 'owner'], [analyst, 'analyst']] as const) {
      const membership = await findMembership(db, account.id, member.userId);
      expect(membership?.role).toBe(role);
      expect(membership!.account).toEqual(built);
      expect(Object.keys(membership!.account)).toEqual(Object.keys(built!));
      expect(membership!.account).toMatchObject({ id: account.id, broadcastSpeed: 3, verifiedAt: new Date('2026-03-04T05:06:07.891Z') });
      expect(membership!.account.createdAt).toBeInstanceOf(Date);
    }
    expect(await findMembership(db, account.id, 999_999_999)).toBeUndefined();
  });

  it('validates path parameters', async () => {
    const owner = await registerAdmin(ctx.app);
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/v1/accounts/abc', headers: owner.headers }), 400, 'VALIDATION_FAILED');
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/v1/accounts/0', headers: owner.headers }), 400, 'VALIDATION_FAILED');
  });
});

describe('members', () => {
  it('adds, re-roles and removes members; the last owner cannot leave or be demoted', async () => {
    const owner = await registerAdmin(ctx.app);
    const colleague = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    const url = `/v1/accounts/${account.id}/members`;

    const added = await ctx.app.inject({ method: 'POST', url, headers: owner.headers, payload: { email: colleague.email, role: 'analyst' } });
    expect(added.statusCode).toBe(201);
    const changed = await ctx.app.inject({ method: 'POST', url, headers: owner.headers, payload: { email: colleague.email, role: 'admin' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ userId: colleague.userId, role: 'admin' });

    const demoteSelf = await ctx.app.inject({ method: 'POST', url, headers: owner.headers, payload: { email: owner.email, role: 'admin' } });
    expectProblem(demoteSelf, 409, 'LAST_OWNER');
    expectProblem(await ctx.app.inject({ method: 'DELETE', url: `${url}/${owner.userId}`, headers: owner.headers }), 409, 'LAST_OWNER');

    const unknown = await ctx.app.inject({ method: 'POST', url, headers: owner.headers, payload: { email: 'nobody@example.com', role: 'admin' } });
    expectProblem(unknown, 404, 'USER_NOT_FOUND');
    const badRole = await ctx.app.inject({ method: 'POST', url, headers: owner.headers, payload: { email: colleague.email, role: 'superuser' } });
    expectProblem(badRole, 400, 'VALIDATION_FAILED');

    const removed = await ctx.app.inject({ method: 'DELETE', url: `${url}/${colleague.userId}`, headers: owner.headers });
    expect(removed.statusCode).toBe(204);
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}`, headers: colleague.headers }), 404, 'ACCOUNT_NOT_FOUND');
  });
});

describe('the one-time type choice', () => {
  it('can be made once; any second choice, even the same type, is 409 ACCOUNT_TYPE_LOCKED', async () => {
    const owner = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    const url = `/v1/accounts/${account.id}/type`;
    const first = await ctx.app.inject({ method: 'PUT', url, headers: owner.headers, payload: { type: 'service' } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ type: 'service', typeLocked: true });

    for (const type of ['subscription', 'service']) {
      const again = await ctx.app.inject({ method: 'PUT', url, headers: owner.headers, payload: { type } });
      expectProblem(again, 409, 'ACCOUNT_TYPE_LOCKED');
    }
    const after = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}`, headers: owner.headers });
    expect(after.json()).toMatchObject({ type: 'service', typeLocked: true });
  });

  it('choosing subscription explicitly also locks the account', async () => {
    const owner = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    const url = `/v1/accounts/${account.id}/type`;
    expect((await ctx.app.inject({ method: 'PUT', url, headers: owner.headers, payload: { type: 'subscription' } })).statusCode).toBe(200);
    expectProblem(await ctx.app.inject({ method: 'PUT', url, headers: owner.headers, payload: { type: 'service' } }), 409, 'ACCOUNT_TYPE_LOCKED');
  });

  it('of racing choices exactly one wins', async () => {
    const owner = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/type`, headers: owner.headers, payload: { type: i % 2 ? 'service' : 'subscription' } }),
      ),
    );
    expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.statusCode === 409)).toHaveLength(9);
  });

  it('rejects an unknown type', async () => {
    const owner = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    const response = await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/type`, headers: owner.headers, payload: { type: 'enterprise' } });
    expectProblem(response, 400, 'VALIDATION_FAILED');
  });

  it('is enforced by PostgreSQL: a direct UPDATE of a locked account fails, of an unlocked one succeeds', async () => {
    const owner = await registerAdmin(ctx.app);
    const locked = await createAccount(ctx.app, owner);
    const unlocked = await createAccount(ctx.app, owner);
    await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${locked.id}/type`, headers: owner.headers, payload: { type: 'service' } });
    const db = ctx.deps.database.db;

    await expect(db.execute(sql`UPDATE accounts SET type = 'subscription' WHERE id = ${locked.id}`)).rejects.toMatchObject({
      cause: expect.objectContaining({ code: '23514', constraint: 'accounts_type_locked' }),
    });
    await expect(db.execute(sql`UPDATE accounts SET type_locked = false WHERE id = ${locked.id}`)).rejects.toMatchObject({
      cause: expect.objectContaining({ code: '23514' }),
    });
    await db.execute(sql`UPDATE accounts SET name = 'renamed' WHERE id = ${locked.id}`);
    await db.execute(sql`UPDATE accounts SET type = 'service' WHERE id = ${unlocked.id}`);
    expect((await findAccount(db, locked.id))!).toMatchObject({ type: 'service', typeLocked: true, name: 'renamed' });
  });
});
