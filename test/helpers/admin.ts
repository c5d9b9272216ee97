import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

export interface AdminSession {
  userId: number;
  email: string;
  token: string;
  headers: { authorization: string };
}

export function uniqueEmail(label = 'admin'): string {
  return `${label}-${randomBytes(4).toString('hex')}@example.com`;
}

export async function registerAdmin(app: FastifyInstance, email = uniqueEmail(), password = 'correct horse battery'): Promise<AdminSession> {
  const registered = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password } });
  expect(registered.statusCode, registered.body).toBe(201);
  const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
  expect(login.statusCode, login.body).toBe(200);
  const token = login.json().token as string;
  return { userId: registered.json().id, email, token, headers: { authorization: `Bearer ${token}` } };
}

export interface CreatedAccount {
  id: number;
  appid: string;
  appsecret: string;
  originalId: string;
}

export async function createAccount(app: FastifyInstance, owner: AdminSession, name = 'Test Account'): Promise<CreatedAccount> {
  const response = await app.inject({ method: 'POST', url: '/v1/accounts', headers: owner.headers, payload: { name } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

export async function addMember(app: FastifyInstance, owner: AdminSession, accountId: number, member: AdminSession, role: string) {
  const response = await app.inject({
    method: 'POST',
    url: `/v1/accounts/${accountId}/members`,
    headers: owner.headers,
    payload: { email: member.email, role },
  });
  expect(response.statusCode, response.body).toBe(201);
}

/** Asserts a problem+json response with the given status and code, and returns its body. */
export function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  expect(typeof body.detail).toBe('string');
  return body;
}
