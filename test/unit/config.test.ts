import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('has defaults that point at the local PostgreSQL and Redis', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/oa_platform');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.quotaTimeZone).toBe('Asia/Shanghai');
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', REDIS_URL: 'http://localhost' })).toThrow(/PORT must be integer.*REDIS_URL must match/);
  });

  it('requires JWT_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET is required/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).jwtSecret).toBe('x'.repeat(32));
  });

  it('rejects an unknown time zone', () => {
    expect(() => loadConfig({ QUOTA_TIMEZONE: 'Mars/Olympus' })).toThrow(/QUOTA_TIMEZONE/);
  });
});
