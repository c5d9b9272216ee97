import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createLogger, serializeError } from '../../src/logger.js';

function uniqueViolation(detail: string) {
  const error = new pg.DatabaseError('duplicate key value violates unique constraint "users_email_key"', 0, 'error');
  Object.assign(error, { code: '23505', severity: 'ERROR', detail, constraint: 'users_email_key', table: 'users' });
  return error;
}

describe('the err serializer', () => {
  it('keeps the statement, codes and stacks of a failed query but drops its parameters, also when they span lines', () => {
    const params = ['first line of a message\nparams: second line', 'owner@example.com', '$argon2id$secret'];
    const error = new DrizzleQueryError('insert into "users" ("email", "password_hash") values ($1, $2)', params, uniqueViolation('Key (email)=(owner@example.com) already exists.'));
    const serialized = serializeError(error) as Record<string, unknown>;
    const text = JSON.stringify(serialized);
    for (const secret of ['owner@example.com', '$argon2id$secret', 'first line of a message']) expect(text).not.toContain(secret);
    expect(serialized).toMatchObject({
      type: 'DrizzleQueryError',
      message: 'Failed query: insert into "users" ("email", "password_hash") values ($1, $2): duplicate key value violates unique constraint "users_email_key"',
      query: 'insert into "users" ("email", "password_hash") values ($1, $2)',
      code: '23505',
      severity: 'ERROR',
    });
    expect(serialized.stack).toMatch(/^Error: Failed query: insert into "users".*\$2\)\n {4}at /);
    expect(serialized.stack).toContain('caused by: error: duplicate key value');
  });

  it("masks the values in PostgreSQL's key detail and keeps the columns", () => {
    const serialized = serializeError(uniqueViolation('Key (account_id, name)=(7, secret tag) already exists.')) as Record<string, unknown>;
    expect(serialized.detail).toBe('Key (account_id, name)=([redacted]) already exists.');
    expect(serialized.constraint).toBe('users_email_key');
  });

  it("drops the pg client pg-pool attaches to an idle client's error (it holds the connection parameters)", () => {
    const error = Object.assign(new Error('Connection terminated unexpectedly'), { client: { connectionParameters: { password: 'hunter2' } } });
    const text = JSON.stringify(serializeError(error));
    expect(text).not.toContain('hunter2');
    expect(text).toContain('Connection terminated unexpectedly');
  });

  it('serializes the errors of an AggregateError, and leaves what is not an error alone', () => {
    const serialized = serializeError(new AggregateError([new Error('connect ECONNREFUSED ::1:5432'), new Error('connect ECONNREFUSED 127.0.0.1:5432')], 'all failed')) as {
      errors: Array<{ message: string }>;
    };
    expect(serialized.errors.map((e) => e.message)).toEqual(['connect ECONNREFUSED ::1:5432', 'connect ECONNREFUSED 127.0.0.1:5432']);
    expect(serializeError('a string')).toBe('a string');
    expect(serializeError({ message: 'plain', code: 'E1' })).toEqual({ message: 'plain', code: 'E1' });
  });

  it("is what Fastify's request loggers use too (Fastify brings its own err serializer for loggers it creates)", async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = Fastify({ loggerInstance: createLogger({ level: 'error', role: 'test', destination }) as FastifyBaseLogger });
    app.get('/', async (request) => {
      request.log.error({ err: new DrizzleQueryError('select $1', ['owner@example.com'], new Error('boom')) }, 'failed');
      return 'ok';
    });
    await app.inject('/');
    await app.close();
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('owner@example.com');
    expect(JSON.parse(lines[0]!).err.message).toBe('Failed query: select $1: boom');
  });
});
