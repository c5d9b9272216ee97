import { describe, expect, it } from 'vitest';
import { ACCOUNT_PAGES, can, landingPath, mayOpen, pageOfPath, pagesFor } from './permissions';

describe('role → pages of the console', () => {
  it('offers an analyst the statistics only, landing on follower growth', () => {
    expect(pagesFor('analyst').map((page) => page.key)).toEqual(['growth', 'attributes', 'articles', 'activation']);
    expect(landingPath(7, 'analyst')).toBe('/accounts/7/stats/growth');
    expect(mayOpen('analyst', 'compose')).toBe(false);
  });

  it('offers an admin posting and followers but not the developer server or members', () => {
    expect(pagesFor('admin').map((page) => page.key)).toEqual(['overview', 'compose', 'broadcasts', 'followers', 'growth', 'attributes', 'articles', 'activation']);
    expect(landingPath(7, 'admin')).toBe('/accounts/7');
  });

  it('offers an owner every page', () => {
    expect(pagesFor('owner')).toEqual([...ACCOUNT_PAGES]);
  });

  it('never offers a page whose API calls the role may not make', () => {
    for (const role of ['owner', 'admin', 'analyst'] as const) {
      for (const page of pagesFor(role)) for (const permission of page.needs) expect(can(role, permission), `${role} ${page.key} ${permission}`).toBe(true);
    }
  });

  it('knows which page a path shows', () => {
    expect(pageOfPath('/accounts/3')).toBe('overview');
    expect(pageOfPath('/accounts/3/')).toBe('overview');
    expect(pageOfPath('/accounts/3/stats/articles')).toBe('articles');
    expect(pageOfPath('/accounts/3/nope')).toBeUndefined();
  });
});
