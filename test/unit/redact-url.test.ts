import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/config.js';

describe('redactUrl', () => {
  it('masks the password of PostgreSQL and Redis URLs and keeps the rest', () => {
    expect(redactUrl('postgres://app:s3cret@db.internal:5432/oa_platform?sslmode=require')).toBe('postgres://app:***@db.internal:5432/oa_platform?sslmode=require');
    expect(redactUrl('redis://:s3cret@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    expect(redactUrl('rediss://default:p%40ss@cache:6380')).toBe('rediss://default:***@cache:6380');
  });

  it('leaves a URL without a password as it is, and prints nothing of one it cannot parse', () => {
    expect(redactUrl('postgres://postgres@127.0.0.1:5432/oa_platform')).toBe('postgres://postgres@127.0.0.1:5432/oa_platform');
    expect(redactUrl('not a url :s3cret@')).toBe('(unparseable URL)');
  });
});
