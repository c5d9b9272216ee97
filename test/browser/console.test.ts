import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumers } from '../../src/queues/consumers.js';
import { buildWeb, DIST_DIR } from '../../web/build.js';
import { registerAdmin, uniqueEmail } from '../helpers/admin.js';
import { createWechatUser, follow, unfollow, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { startWorker } from '../helpers/worker.js';

/**
 * The web console in a real headless Chromium (Debian's, driven by playwright-core) against the real API and
 * worker: an owner registers, creates an account, chooses its type, followers arrive through /client/v1, a news
 * broadcast is composed and sent and reaches SEND_SUCCESS, the statistics pages draw the new followers and reads
 * with the API's figures, CSV downloads equal the API's CSV, a second send is refused with the quota message, and
 * an analyst sees statistics only. Each page is saved as a screenshot under test-artifacts/screenshots (SCREENSHOT_DIR).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? path.join(ROOT, 'test-artifacts', 'screenshots');
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
  (candidate): candidate is string => Boolean(candidate && existsSync(candidate)),
);

if (!CHROMIUM && !process.env.CI) {
  console.warn('test/browser/console.test.ts: SKIPPED: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it');
}

const PASSWORD = 'correct horse battery';

describe.skipIf(!CHROMIUM && !process.env.CI)('the web console in headless Chromium', () => {
  // The console must be built before the app registers its static files (web/dist): a fresh build is reused.
  beforeAll(async () => {
    if (!CHROMIUM) throw new Error('CI needs Chromium for the browser tests (.ci/run installs the chromium package)');
    await buildWeb({ ifStale: true, log: () => undefined });
    await rm(SCREENSHOTS, { recursive: true, force: true });
    await mkdir(SCREENSHOTS, { recursive: true });
  }, 300_000);
  const ctx = useTestContext();

  let consumers: Consumers;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  const owner = { email: uniqueEmail('owner'), token: '' };
  let account: { id: number; appid: string };
  let followers: Array<WechatUserSession & { openid: string }> = [];
  let articleBroadcast: { id: number; msgDataId: number };
  let analystEmail: string;

  const api = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, token = owner.token) => {
    const response = await ctx.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    return response;
  };
  const shot = (target: Page, name: string) => target.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const menu = async (key: string) => {
    await page.click(`[data-testid=menu-${key}]`);
  };
  /** Text of a Statistic card (the figure alone, as formatted). */
  const figure = async (target: Page, key: string) => (await target.locator(`[data-testid=figure-${key}] .ant-statistic-content`).innerText()).replace(/[,\s]/g, '');

  /** Pixels on the chart's canvas that are not blank: a drawn chart has thousands. */
  const paintedPixels = (target: Page, testId: string) =>
    target.locator(`[data-testid=${testId}] canvas`).first().evaluate((canvas: any) => {
      const data: Uint8ClampedArray = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
      return painted;
    });

  /** Hovers the right-most point of a line chart and returns its tooltip's text. */
  const tooltipAtLastPoint = async (target: Page, testId: string) => {
    const chart = target.locator(`[data-testid=${testId}]`);
    await chart.scrollIntoViewIfNeeded();
    const box = (await chart.boundingBox())!;
    // The grid ends 56 px from the right (lib/charts.ts GRID); an axis tooltip snaps to the nearest day.
    await target.mouse.move(box.x + box.width - 60, box.y + box.height / 2);
    const tooltip = chart.locator('.oa-tooltip');
    await tooltip.waitFor({ state: 'visible', timeout: 5_000 });
    return (await tooltip.innerText()).replace(/\s+/g, ' ');
  };

  const downloadText = async (target: Page, testId: string) => {
    const [download] = await Promise.all([target.waitForEvent('download'), target.click(`[data-testid=${testId}]`)]);
    return { name: download.suggestedFilename(), text: await readFile((await download.path())!, 'utf8') };
  };

  beforeAll(async () => {
    // The console asks the server for today; the test's clock is set to the real now so dates read naturally.
    ctx.clock.set(new Date());
    consumers = await startWorker(ctx);
    await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(ctx.app.server.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    // The browser says Chinese first: the console starts in Chinese.
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await consumers?.close();
  });

  it('serves the production build of React, also when the build ran under the test runner (NODE_ENV=test)', async () => {
    const assets = path.join(DIST_DIR, 'assets');
    const scripts = (await readdir(assets)).filter((name) => name.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    // React's development JSX runtime (jsxDEV) is in no script: a match would print the whole minified file.
    for (const name of scripts) expect((await readFile(path.join(assets, name), 'utf8')).includes('jsxDEV'), name).toBe(false);
  });

  it('registers, shows a refusal in Chinese, creates an account and chooses its type behind a final confirmation', async () => {
    await page.goto(`${base}/`);
    await page.waitForURL(/\/login/);
    await page.waitForSelector('[data-testid=login-form]');
    // An unknown user: the API's INVALID_CREDENTIALS, in the person's language.
    await page.fill('input[name=email]', owner.email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('[data-testid=submit]');
    await expect.poll(() => page.locator('[data-testid=problem]').innerText()).toContain('邮箱或密码错误');
    await shot(page, '01-login-error');

    await page.click('a[href^="/register"]');
    await page.waitForSelector('[data-testid=register-form]');
    await page.fill('input[name=email]', owner.email);
    await page.fill('input[name=password]', PASSWORD);
    await shot(page, '02-register');
    await page.click('[data-testid=submit]');
    await page.waitForSelector('[data-testid=create-account]');
    owner.token = await page.evaluate(() => (JSON.parse((globalThis as any).localStorage.getItem('oa.session')) as { token: string }).token);
    await shot(page, '03-accounts-empty');

    await page.fill('[data-testid=create-account] input', '浏览器测试号');
    await page.click('[data-testid=create-account] button[type=submit]');
    await page.waitForSelector('[data-testid=created-account]');
    const appid = await page.locator('[data-testid=created-appid]').innerText();
    const listed = (await api('GET', '/v1/accounts')).json().items as Array<{ id: number; appid: string; appsecret?: string }>;
    expect(listed).toHaveLength(1);
    account = { id: listed[0]!.id, appid: listed[0]!.appid };
    expect(appid.trim()).toBe(account.appid);
    expect((await page.locator('[data-testid=created-secret]').innerText()).trim()).toMatch(/^[0-9a-f]{32}$/);
    await shot(page, '04-account-created');
    await page.click('.ant-modal-footer .ant-btn-primary');
    await page.waitForSelector('[data-testid=overview-page]');
    await page.waitForSelector('[data-testid=choose-type]');

    await page.click('[data-testid=type-subscription]');
    await page.click('[data-testid=choose-type-button]');
    const confirm = page.locator('[data-testid=confirm-type]');
    await expect.poll(() => page.locator('[data-testid=type-warning]').innerText()).toContain('永远不能更改');
    expect(await confirm.isDisabled()).toBe(true);
    await shot(page, '05-type-confirmation');
    await page.click('[data-testid=type-understood]');
    await confirm.click();
    await page.waitForSelector('[data-testid=type-chosen]');
    const detail = (await api('GET', `/v1/accounts/${account.id}`)).json();
    expect(detail).toMatchObject({ type: 'subscription', typeLocked: true });
    await expect.poll(() => page.locator('[data-testid=type-lock]').first().innerText()).toContain('已锁定');
    expect(await page.locator('[data-testid=choose-type]').count()).toBe(0);
  }, 120_000);

  it('shows followers who arrived through /client/v1, and today’s growth on the overview', async () => {
    const profiles = [
      { gender: 1, province: '广东', city: '深圳' },
      { gender: 2, province: '广东', city: '广州' },
      { gender: 2, province: '北京', city: '北京' },
      { gender: 1, province: '上海', city: '上海' },
      { gender: 0, province: '浙江', city: '杭州' },
      { gender: 2, province: '广东', city: '深圳' },
    ];
    for (const [index, profile] of profiles.entries()) {
      const user = await createWechatUser(ctx.app, profile);
      followers.push({ ...user, openid: await follow(ctx.app, user, account.appid, index % 2 ? 'ADD_SCENE_QR_CODE' : 'ADD_SCENE_SEARCH') });
    }
    // One leaves again: 6 new, 1 cancelled, 5 following.
    await unfollow(ctx.app, followers[5]!, account.appid);
    followers = followers.slice(0, 5);
    for (const user of followers.slice(0, 2)) {
      const sent = await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: user.headers, payload: { appid: account.appid, msgType: 'text', content: '你好' } });
      expect(sent.statusCode, sent.body).toBe(201);
    }
    await consumers.statsFolder.catchUp();

    await page.reload();
    await page.waitForSelector('[data-testid=overview-page]');
    await expect.poll(() => figureOfStatistic(page, 'followers-total')).toBe('5');
    expect(await figureOfStatistic(page, 'today-new')).toBe('6');
    expect(await figureOfStatistic(page, 'today-cancelled')).toBe('1');
    await shot(page, '06-overview');

    await menu('followers');
    await page.waitForSelector('[data-testid=follower-table] .ant-table-row');
    await expect.poll(() => page.locator('[data-testid=follower-table] .ant-table-row').count()).toBe(5);
    const shown = await page.locator('[data-testid=follower-table] .ant-table-row code').allInnerTexts();
    expect(shown.sort()).toEqual(followers.map((user) => user.openid).sort());
    await shot(page, '07-followers');
  }, 120_000);

  it('composes a news broadcast with the rich-text editor, previews it, sends it and shows its progress to SEND_SUCCESS', async () => {
    await menu('compose');
    await page.waitForSelector('[data-testid=compose-page]');
    await expect.poll(() => page.locator('[data-testid=compose-quota]').innerText()).toContain('1 / 1');
    await page.fill('[data-testid=article-title]', '第一篇群发');
    await page.fill('[data-testid=article-author]', '编辑部');
    await page.fill('[data-testid=article-digest]', '浏览器里写的摘要');
    await page.fill('[data-testid=article-cover]', 'https://example.com/cover.jpg');
    await page.fill('[data-testid=article-source]', 'https://example.com/original');
    await page.click('.oa-editor-body');
    await page.keyboard.type('正文第一段，');
    await page.click('button[aria-label="加粗"]');
    await page.keyboard.type('这里加粗');
    await shot(page, '08-compose');

    await page.fill('[data-testid=preview-openids]', followers[0]!.openid);
    await page.click('[data-testid=send-preview]');
    await expect.poll(() => page.locator('.ant-message').innerText()).toContain('预览已发送给 1 位用户');

    await page.click('[data-testid=send]');
    await page.click('[data-testid=confirm-send]');
    await page.waitForURL(/\/broadcasts$/);
    const listed = (await api('GET', `/v1/accounts/${account.id}/broadcasts`)).json().items as Array<{ id: number; msgDataId: number; message: { articles: Array<{ title: string }> } }>;
    expect(listed).toHaveLength(1);
    const sent = (await api('GET', `/v1/accounts/${account.id}/broadcasts/${listed[0]!.id}`)).json();
    expect(sent.message.articles[0]).toMatchObject({ title: '第一篇群发', author: '编辑部', digest: '浏览器里写的摘要', thumbUrl: 'https://example.com/cover.jpg', contentSourceUrl: 'https://example.com/original' });
    expect(sent.message.articles[0].content).toContain('<strong>这里加粗</strong>');

    // The page polls until the worker has delivered to every follower.
    const row = page.locator(`[data-testid=broadcast-${listed[0]!.id}]`);
    await expect.poll(() => row.locator('[data-testid=broadcast-status]').getAttribute('data-status'), { timeout: 30_000 }).toBe('SEND_SUCCESS');
    const final = (await api('GET', `/v1/accounts/${account.id}/broadcasts/${listed[0]!.id}`)).json();
    expect(final.counts).toMatchObject({ total: 5, sent: 5, errors: 0 });
    await expect.poll(() => row.locator('[data-testid=count-sent]').innerText()).toContain('5');
    expect(await row.locator('[data-testid=broadcast-progress]').innerText()).toContain('100');
    await shot(page, '09-broadcasts');
    articleBroadcast = { id: listed[0]!.id, msgDataId: final.msgDataId as number };
  }, 120_000);


  it('draws the new followers and the reads in the statistics charts with the API’s figures, and downloads the API’s CSV', async () => {
    // Followers read, open the original link and share the article.
    const engage = (user: WechatUserSession, action: string, extra: Record<string, string> = {}) =>
      ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: user.headers, payload: { appid: account.appid, msgDataId: articleBroadcast.msgDataId, articleIndex: 1, action, ...extra } });
    for (const user of followers.slice(0, 4)) expect((await engage(user, 'read')).statusCode).toBeLessThan(300);
    await engage(followers[0]!, 'read');
    for (const user of followers.slice(0, 2)) await engage(user, 'original');
    await engage(followers[0]!, 'share', { shareScene: 'friend' });
    await consumers.statsFolder.catchUp();

    const today = (await api('GET', `/v1/accounts/${account.id}/stats/activation/hourly`)).json().items[0].refDate as string;
    const from = new Date(Date.parse(`${today}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);

    // Follower growth: figures, chart (drawn, tooltip of today) and table equal the API's answer.
    await menu('growth');
    await page.waitForSelector('[data-testid=growth-chart][data-rendered=true]');
    const growth = (await api('GET', `/v1/accounts/${account.id}/stats/followers?from=${from}&to=${today}`)).json().items as Array<Record<string, number | string>>;
    const sum = (key: string) => growth.reduce((total, item) => total + Number(item[key]), 0);
    expect(await figure(page, 'newUser')).toBe(String(sum('newUser')));
    expect(await figure(page, 'cancelUser')).toBe(String(sum('cancelUser')));
    expect(await figure(page, 'cumulateUser')).toBe(String(growth.at(-1)!.cumulateUser));
    expect(sum('newUser')).toBe(6);
    expect(await paintedPixels(page, 'growth-chart')).toBeGreaterThan(1000);
    const growthTip = await tooltipAtLastPoint(page, 'growth-chart');
    const last = growth.at(-1)!;
    expect(growthTip).toContain(today);
    expect(growthTip).toMatch(new RegExp(`新关注人数 ?${last.newUser}\\b`));
    expect(growthTip).toMatch(new RegExp(`取消关注人数 ?${last.cancelUser}\\b`));
    expect(growthTip).toMatch(new RegExp(`累积关注人数 ?${last.cumulateUser}\\b`));
    await shot(page, '10-stats-growth');

    const csv = await downloadText(page, 'growth-csv');
    const apiCsv = await api('GET', `/v1/accounts/${account.id}/stats/followers?from=${from}&to=${today}&granularity=day&format=csv`);
    expect(csv.text).toBe(apiCsv.body);
    expect(csv.name).toBe(`followers_${account.appid}_${from}_${today}_day.csv`);
    // The sources chart's CSV: its totals by scene, as the API gives them.
    const sourcesCsv = await downloadText(page, 'sources-csv');
    const apiSourcesCsv = await api('GET', `/v1/accounts/${account.id}/stats/followers/sources?from=${from}&to=${today}&granularity=day&format=csv`);
    expect(sourcesCsv.text).toBe(apiSourcesCsv.body);
    expect(sourcesCsv.text.split('\r\n').length).toBeGreaterThan(2);

    // Articles: reads per day (drawn, figures and tooltip equal the API's), the funnel, the table's CSV.
    await menu('articles');
    await page.waitForSelector('[data-testid=reads-chart][data-rendered=true]');
    const reads = (await api('GET', `/v1/accounts/${account.id}/stats/reads?from=${from}&to=${today}`)).json().items as Array<Record<string, number | string>>;
    expect(await figure(page, 'intPageReadCount')).toBe(String(reads.reduce((total, item) => total + Number(item.intPageReadCount), 0)));
    expect(reads.at(-1)).toMatchObject({ intPageReadUser: 4, intPageReadCount: 5, oriPageReadUser: 2, shareUser: 1 });
    expect(await paintedPixels(page, 'reads-chart')).toBeGreaterThan(1000);
    const readsTip = await tooltipAtLastPoint(page, 'reads-chart');
    expect(readsTip).toMatch(/图文页阅读人数 ?4\b/);
    expect(readsTip).toMatch(/图文页阅读次数 ?5\b/);
    await page.waitForSelector('[data-testid=funnel-chart][data-rendered=true]');
    expect(await paintedPixels(page, 'funnel-chart')).toBeGreaterThan(1000);
    await page.waitForSelector('[data-testid=articles-table] .ant-table-row');
    await shot(page, '11-stats-articles');
    const articlesCsv = await downloadText(page, 'articles-csv');
    expect(articlesCsv.text).toBe((await api('GET', `/v1/accounts/${account.id}/stats/articles?from=${from}&to=${today}&format=csv`)).body);
    expect(articlesCsv.text).toContain('第一篇群发');

    await menu('attributes');
    await page.waitForSelector('[data-testid=gender-chart][data-rendered=true]');
    const attributes = (await api('GET', `/v1/accounts/${account.id}/stats/attributes`)).json();
    expect(await figure(page, 'total')).toBe(String(attributes.total));
    expect(attributes.total).toBe(5);
    await shot(page, '12-stats-attributes');

    await menu('activation');
    await page.waitForSelector('[data-testid=activation-chart][data-rendered=true]');
    const activation = (await api('GET', `/v1/accounts/${account.id}/stats/activation?from=${from}&to=${today}`)).json().items as Array<Record<string, number>>;
    expect(await figure(page, 'msgCount')).toBe(String(activation.reduce((total, item) => total + item.msgCount!, 0)));
    expect(activation.at(-1)).toMatchObject({ msgUser: 2, msgCount: 2 });
    await shot(page, '13-stats-activation');
  }, 120_000);

  it('refuses a second send today with the quota message, and deletes the sent broadcast', async () => {
    await menu('compose');
    await page.waitForSelector('[data-testid=compose-page]');
    await page.click('label:has-text("文字")');
    await page.fill('textarea#text', '今天的第二条');
    await page.click('[data-testid=send]');
    await page.click('[data-testid=confirm-send]');
    const refusal = page.locator('[data-testid=quota-exhausted]');
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain('群发额度已用完');
    expect(page.url()).toMatch(/\/compose$/);
    expect((await api('GET', `/v1/accounts/${account.id}/broadcasts`)).json().items).toHaveLength(1);
    await shot(page, '14-compose-quota-refused');

    // The sent broadcast is deleted from the inboxes; the statistics keep it.
    await menu('broadcasts');
    const row = page.locator(`[data-testid=broadcast-${articleBroadcast.id}]`);
    await row.locator('[data-testid=delete-broadcast]').click();
    await page.click('.ant-modal-confirm .ant-btn-dangerous');
    await expect.poll(() => row.locator('[data-testid=broadcast-status]').innerText()).toBe('已删除');
    expect((await api('GET', `/v1/accounts/${account.id}/broadcasts/${articleBroadcast.id}`)).json().deletedAt).not.toBeNull();
  }, 60_000);

  it('shows the developer server settings with a failed verification, and adds an analyst as a member', async () => {
    await menu('webhook');
    await page.waitForSelector('[data-testid=webhook-form]');
    // Nothing listens on port 9 of this machine: the verification fails with the network error, nothing is saved.
    await page.fill('[data-testid=webhook-form] input#url', 'http://127.0.0.1:9/wechat');
    await page.fill('[data-testid=webhook-form] input#token', 'token123');
    await page.click('[data-testid=webhook-form] button[type=submit]');
    await page.locator('[data-testid=verification-failed]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid=verification-failed]').innerText()).toContain('服务器未通过验证');
    await shot(page, '15-webhook');

    const analyst = await registerAdmin(ctx.app, uniqueEmail('analyst'), PASSWORD);
    await menu('members');
    await page.waitForSelector('[data-testid=member-table]');
    await page.fill('[data-testid=add-member] input', analyst.email);
    await page.click('[data-testid=add-member] button[type=submit]');
    await expect.poll(() => page.locator('[data-testid=member-table] .ant-table-row').count()).toBe(2);
    const members = (await api('GET', `/v1/accounts/${account.id}/members`)).json().items as Array<{ email: string; role: string }>;
    expect(members.find((member) => member.email === analyst.email)?.role).toBe('analyst');
    await shot(page, '16-members');
    analystEmail = analyst.email;
  }, 60_000);


  it('offers an analyst the statistics only: no compose in the menu, and its address shows no composer', async () => {
    const analystContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', acceptDownloads: true });
    const analystPage = await analystContext.newPage();
    try {
      await analystPage.goto(`${base}/login`);
      await analystPage.fill('input[name=email]', analystEmail);
      await analystPage.fill('input[name=password]', PASSWORD);
      await analystPage.click('[data-testid=submit]');
      await analystPage.waitForSelector('[data-testid=account-list]');
      await analystPage.click(`[data-testid=account-list] a[href^="/accounts/${account.id}"]`);
      // An analyst lands on follower growth, in English (the browser's language).
      await analystPage.waitForSelector('[data-testid=growth-chart][data-rendered=true]');
      const menuItems = await analystPage.locator('[data-testid=menu] [data-testid^=menu-]').evaluateAll((items) => items.map((item) => item.getAttribute('data-testid')));
      expect(menuItems).toEqual(['menu-growth', 'menu-attributes', 'menu-articles', 'menu-activation']);
      expect(await analystPage.locator('text=New followers').count()).toBeGreaterThan(0);
      await shot(analystPage, '17-analyst-stats');

      await analystPage.goto(`${base}/accounts/${account.id}/compose`);
      await analystPage.waitForSelector('.ant-result');
      expect(await analystPage.locator('[data-testid=compose-page]').count()).toBe(0);
      expect(await analystPage.locator('.ant-result').innerText()).toContain('does not include this page');
      await shot(analystPage, '18-analyst-compose-forbidden');
    } finally {
      await analystContext.close();
    }
  }, 60_000);

  it('works at phone width: the statistics page fits the screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
    const phonePage = await phone.newPage();
    try {
      await phonePage.goto(`${base}/login`);
      await phonePage.fill('input[name=email]', owner.email);
      await phonePage.fill('input[name=password]', PASSWORD);
      await phonePage.click('[data-testid=submit]');
      await phonePage.waitForSelector('[data-testid=account-list]');
      // The menu is a drawer opened from the header.
      await phonePage.goto(`${base}/accounts/${account.id}`);
      await phonePage.click('[data-testid=menu-button]');
      await phonePage.click('[data-testid=menu-growth]');
      await phonePage.waitForURL(/\/stats\/growth$/);
      await phonePage.waitForSelector('[data-testid=growth-chart][data-rendered=true]');
      const overflow = await phonePage.evaluate(() => (globalThis as any).document.documentElement.scrollWidth - (globalThis as any).innerWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      expect(await paintedPixels(phonePage, 'growth-chart')).toBeGreaterThan(500);
      await shot(phonePage, '19-phone-growth');
      await phonePage.goto(`${base}/accounts/${account.id}/compose`);
      await phonePage.waitForSelector('[data-testid=compose-page]');
      await shot(phonePage, '20-phone-compose');
    } finally {
      await phone.close();
    }
  }, 60_000);
});

async function figureOfStatistic(page: Page, testId: string): Promise<string> {
  return (await page.locator(`[data-testid=${testId}] .ant-statistic-content`).innerText()).replace(/[,\s]/g, '');
}
