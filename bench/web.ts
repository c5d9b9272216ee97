import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { seedAccount } from '../src/db/seed/seed-account.js';
import { STATS_SOURCES } from '../src/modules/stats/fold.repo.js';
import { foldToEnd } from '../src/modules/stats/stats.folder.js';
import { buildWeb } from '../web/build.js';
import { createBenchEnvironment, forkBenchApi, log, median, numberArg, printResult } from './lib.js';

/**
 * bench:web: the web console in headless Chromium (Debian's chromium, or CHROMIUM_PATH) against the API in its own
 * process, on an account seeded with --followers (1,000,000) and --days (365) of history, the rollups folded.
 * - First page: the gzipped size of every script the sign-in page loads (route-level code splitting; aim ≤ 400 KB).
 * - Growth chart: from navigation (a fresh browser context each time: nothing cached) to the 365-day follower
 *   growth chart drawn (the chart's data-rendered), median of --runs (5); baseline: the same
 *   GET /v1/accounts/:id/stats/followers of 366 days alone, from Node, median of as many calls. Aim ≤ 1.5 s.
 * One JSON line: value = chart ms, baseline = API ms, ratio = value / baseline, with firstPageJsKB.
 */
const followerCount = numberArg('followers', 1_000_000);
const days = numberArg('days', 365);
const runs = numberArg('runs', 5);
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((candidate): candidate is string => Boolean(candidate && existsSync(candidate)));
if (!CHROMIUM) throw new Error('bench:web needs Chromium: apt-get install chromium (or set CHROMIUM_PATH)');

/**
 * Chromium (Debian's 156) opens its omnibox popups, two WebUI pages of its own (chrome://omnibox-popup.top-chrome),
 * with every new window, and each fresh context of a run is a new window: they loaded beside the console on the two
 * cores and added 400–650 ms to every measured navigation. A person's browser loaded them once, long before.
 */
const BROWSER_UI_PAGES = ['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup'];

/** Says so when a Chromium names those features differently and its own pages load again beside every run. */
async function warnOfBrowserUiPages(browser: Browser): Promise<void> {
  const context = await browser.newContext();
  await context.newPage();
  const session = await browser.newBrowserCDPSession();
  const { targetInfos } = await session.send('Target.getTargets');
  const own = targetInfos.filter((target) => target.url.startsWith('chrome://')).map((target) => target.url);
  if (own.length > 0) log(`warning: Chromium still opens pages of its own with each window (${own.join(', ')}): they are measured with the console`);
  await session.detach();
  await context.close();
}

/**
 * The page says when the growth chart is drawn (its data-rendered turns true): a console message from this init
 * script, which Playwright hears at once. waitForFunction had Playwright inject its own script into the page while it
 * loaded (20–70 ms of the main thread the console needs), then looked once a frame.
 */
const CHART_DRAWN = 'bench:web growth chart drawn';
const REPORT_CHART_DRAWN = `new MutationObserver((_, observer) => {
  if (!document.querySelector('[data-testid=growth-chart][data-rendered=true]')) return;
  observer.disconnect();
  console.log(${JSON.stringify(CHART_DRAWN)});
}).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-rendered'] });`;

await buildWeb({ ifStale: true });
const env = await createBenchEnvironment('web');
let browser: Browser | undefined;
let api: Awaited<ReturnType<typeof forkBenchApi>> | undefined;
try {
  const seedStarted = performance.now();
  const seeded = await seedAccount(env.deps, { followers: followerCount, days, churnRate: 0.12, chunkSize: 50_000, concurrency: 2, messageSenderRate: 0.03, broadcastHistory: true, deliveryDays: 0 });
  for (const source of STATS_SOURCES) await foldToEnd(env.deps.database.db, source, { timezone: env.config.quotaTimeZone, wait: true });
  log(`seeded and folded ${followerCount} followers over ${days} days in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  api = await forkBenchApi(env.config);
  const login = await fetch(`${api.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: seeded.ownerEmail, password: seeded.ownerPassword }) });
  const { token, expiresIn } = (await login.json()) as { token: string; expiresIn: number };
  const to = env.deps.services.stats.today();
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10);
  const statsUrl = `${api.url}/v1/accounts/${seeded.accountId}/stats/followers?from=${from}&to=${to}&granularity=day`;

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage', `--disable-features=${BROWSER_UI_PAGES.join(',')}`] });
  await warnOfBrowserUiPages(browser);

  // The sign-in page, as a first visit loads it.
  const first = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const firstPage = await first.newPage();
  const scripts: Array<Promise<{ url: string; gzipBytes: number }>> = [];
  firstPage.on('response', (response) => {
    if (response.request().resourceType() === 'script') scripts.push(response.body().then((body) => ({ url: response.url(), gzipBytes: gzipSync(body, { level: 9 }).length })));
  });
  await firstPage.goto(`${api.url}/login`, { waitUntil: 'networkidle' });
  await firstPage.waitForSelector('[data-testid=login-form]');
  const loaded = await Promise.all(scripts);
  const firstPageJsKB = loaded.reduce((total, script) => total + script.gzipBytes, 0) / 1024;
  log(`first page: ${loaded.length} scripts, ${firstPageJsKB.toFixed(1)} KB gzipped`);
  await first.close();

  const session = JSON.stringify({ token, email: seeded.ownerEmail, expiresAt: Date.now() + expiresIn * 1000 });
  const chartTimes: number[] = [];
  for (let run = 0; run < runs + 1; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript((value) => (globalThis as any).localStorage.setItem('oa.session', value), session);
    await context.addInitScript({ content: REPORT_CHART_DRAWN });
    const page = await context.newPage();
    const drawn = page.waitForEvent('console', { predicate: (message) => message.text() === CHART_DRAWN, timeout: 60_000 });
    const started = performance.now();
    await page.goto(`${api.url}/accounts/${seeded.accountId}/stats/growth?from=${from}&to=${to}&granularity=day`);
    await drawn;
    const elapsed = performance.now() - started;
    await context.close();
    // The first run warms the API's plans and the OS file cache; it is not counted.
    if (run > 0) chartTimes.push(elapsed);
    log(`run ${run}: growth chart of 366 days drawn in ${elapsed.toFixed(0)} ms${run === 0 ? ' (warm-up)' : ''}`);
  }

  const apiTimes: number[] = [];
  for (let call = 0; call < runs + 1; call++) {
    const started = performance.now();
    const response = await fetch(statsUrl, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { items: unknown[] };
    if (!response.ok || body.items.length !== 366) throw new Error(`${statsUrl}: ${response.status}, ${body.items?.length} items`);
    if (call > 0) apiTimes.push(performance.now() - started);
  }
  const chartMs = median(chartTimes);
  const apiMs = median(apiTimes);
  log(`growth chart: median ${chartMs.toFixed(0)} ms; the API call alone: median ${apiMs.toFixed(1)} ms`);
  printResult({
    bench: 'web',
    value: chartMs,
    baseline: apiMs,
    ratio: chartMs / apiMs,
    unit: 'ms',
    aimMs: 1500,
    firstPageJsKB: Math.round(firstPageJsKB * 10) / 10,
    firstPageJsAimKB: 400,
    firstPageScripts: loaded.length,
    followers: followerCount,
    days,
    runs,
  });
} finally {
  await browser?.close();
  if (api) {
    api.child.kill('SIGTERM');
    await new Promise((resolve) => api!.child.once('exit', resolve));
  }
  await env.cleanup();
}
