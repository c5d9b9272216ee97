import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { PERMISSIONS } from '../../src/modules/accounts/permissions.js';
import { en } from '../../web/src/i18n/en.js';
import { PERMISSIONS as CONSOLE_PERMISSIONS } from '../../web/src/lib/permissions.js';

/** What the web console (web/) keeps copies of must stay equal to the API's. */
describe('the web console and the API agree', () => {
  it('on what each role may do, so the console offers exactly that', () => {
    expect(CONSOLE_PERMISSIONS).toEqual(PERMISSIONS);
  });

  it('on the error codes: each has a text in the person’s language', () => {
    const missing = ERROR_CODES.filter((code) => !(`errors.${code}` in en));
    expect(missing).toEqual([]);
  });
});
