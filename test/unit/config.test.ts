import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from '../../src/config.js';

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
  it('refuses the public development JWT secret unless the API listens on loopback only', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'api.example.com']) {
      expect(() => loadConfig({ HOST: host })).toThrow(ConfigError);
      expect(() => loadConfig({ HOST: host })).toThrow(/JWT_SECRET/);
      expect(() => loadConfig({ HOST: host, JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toThrow(/JWT_SECRET/);
      expect(loadConfig({ HOST: host, JWT_SECRET: 'y'.repeat(32) }).jwtSecret).toBe('y'.repeat(32));
    }
    for (const host of ['127.0.0.1', '::1', 'localhost', '127.0.0.2']) {
      expect(loadConfig({ HOST: host }).jwtSecret).toBe(DEVELOPMENT_JWT_SECRET);
    }
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toThrow(/JWT_SECRET/);
  });

  it('trusts no proxy unless TRUST_PROXY names them', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1' }).trustProxy).toEqual(['127.0.0.1']);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.1 ,fd00::/8,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each(['true', 'yes', '2', '10.0.0.0/33', '300.1.1.1', '10.0.0.1,', '-1', '1.5'])('rejects TRUST_PROXY=%s', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY/);
  });

  it('serves the /client/v1 simulator unless CLIENT_API_ENABLED=false, with per-user, per-IP and sign-up limits', () => {
    expect(loadConfig({}).client).toEqual({ apiEnabled: true, rateLimitPerMinute: 120, ipRateLimitPerMinute: 1200, signupRateLimitPerMinute: 30 });
    expect(loadConfig({ CLIENT_API_ENABLED: 'false' }).client.apiEnabled).toBe(false);
    expect(() => loadConfig({ CLIENT_API_ENABLED: 'maybe' })).toThrow(/CLIENT_API_ENABLED/);
    expect(() => loadConfig({ CLIENT_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/CLIENT_RATE_LIMIT_PER_MINUTE/);
  });
});
