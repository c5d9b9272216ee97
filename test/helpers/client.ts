import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

export interface WechatUserSession {
  userId: number;
  token: string;
  headers: { authorization: string };
}

export async function createWechatUser(app: FastifyInstance, profile: Record<string, unknown> = {}): Promise<WechatUserSession> {
  const response = await app.inject({
    method: 'POST',
    url: '/client/v1/users',
    payload: { nickname: `user-${randomBytes(3).toString('hex')}`, gender: 1, language: 'zh_CN', country: '中国', province: '广东', city: '深圳', ...profile },
  });
  expect(response.statusCode, response.body).toBe(201);
  const { userId, token } = response.json();
  return { userId, token, headers: { authorization: `Bearer ${token}` } };
}

export async function follow(app: FastifyInstance, user: WechatUserSession, appid: string, scene = 'ADD_SCENE_SEARCH'): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/client/v1/follows', headers: user.headers, payload: { appid, scene } });
  expect([200, 201], response.body).toContain(response.statusCode);
  return response.json().openid;
}

export async function unfollow(app: FastifyInstance, user: WechatUserSession, appid: string) {
  const response = await app.inject({ method: 'DELETE', url: `/client/v1/follows/${appid}`, headers: user.headers });
  expect(response.statusCode, response.body).toBe(200);
}

/** Creates n users who all follow the account; returns them with their openids, in follow order. */
export async function followers(app: FastifyInstance, appid: string, n: number) {
  const result: Array<WechatUserSession & { openid: string }> = [];
  for (let i = 0; i < n; i++) {
    const user = await createWechatUser(app);
    result.push({ ...user, openid: await follow(app, user, appid) });
  }
  return result;
}
