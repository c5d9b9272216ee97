import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Identifiers shaped like WeChat's: AppID wx + 16 hex, AppSecret 32 hex, original id gh_ + 12 hex. */
export function newAppid(): string {
  return `wx${randomBytes(8).toString('hex')}`;
}

export function newOriginalId(): string {
  return `gh_${randomBytes(6).toString('hex')}`;
}

export function newAppsecret(): string {
  return randomBytes(16).toString('hex');
}

/** The AppSecret has 128 random bits, so a fast digest suffices; a slow KDF would only slow /cgi-bin/token. */
export function hashAppsecret(appsecret: string): string {
  return createHash('sha256').update(appsecret).digest('hex');
}

export function appsecretMatches(appsecret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashAppsecret(appsecret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
