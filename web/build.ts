import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the web console into web/dist, or (`--if-stale`, what `npm start` runs first) only when its sources changed
 * since the last build. "Changed" is a hash of the sources and of package-lock.json kept in web/dist/.inputs-hash,
 * so a fresh checkout, an edit or a dependency upgrade rebuilds and nothing else does. The build goes to a
 * temporary folder that replaces web/dist whole, so a running API never serves half a build, and a lock keeps two
 * builds (a test and `npm start`, say) from running at once.
 */
const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT_DIR = path.dirname(WEB_DIR);
export const DIST_DIR = path.join(WEB_DIR, 'dist');
const HASH_FILE = '.inputs-hash';
const LOCK_DIR = path.join(WEB_DIR, '.build-lock');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full);
    // Unit tests are not part of what is served.
    return /\.test\.tsx?$/.test(entry.name) ? [] : [full];
  });
}

/** The hash of everything the build reads: the console's sources and configuration, and the locked dependencies. */
export function inputsHash(): string {
  const inputs = [
    ...filesUnder(path.join(WEB_DIR, 'src')),
    ...filesUnder(path.join(WEB_DIR, 'public')),
    ...['index.html', 'vite.config.ts', 'tsconfig.json'].map((name) => path.join(WEB_DIR, name)),
    path.join(ROOT_DIR, 'package-lock.json'),
  ]
    .filter((file) => existsSync(file))
    .sort();
  const hash = createHash('sha256');
  for (const file of inputs) hash.update(path.relative(ROOT_DIR, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

export function isBuildFresh(): boolean {
  try {
    return readFileSync(path.join(DIST_DIR, HASH_FILE), 'utf8').trim() === inputsHash() && existsSync(path.join(DIST_DIR, 'index.html'));
  } catch {
    return false;
  }
}

/** Takes the build lock, waiting for another build to finish; a lock whose process is gone is taken over. */
async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = Number(readFileSafely(path.join(LOCK_DIR, 'pid')));
      const lockAgeMs = Date.now() - (existsSync(LOCK_DIR) ? statSync(LOCK_DIR).mtimeMs : Date.now());
      if ((holder > 0 && !processExists(holder)) || (!holder && lockAgeMs > 30_000)) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`web build: ${LOCK_DIR} has been held for 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(path.join(LOCK_DIR, 'pid'), { force: true });
    rmdirSync(LOCK_DIR);
  }
}

function readFileSafely(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface BuildOutcome {
  built: boolean;
  seconds: number;
}

/** Builds web/dist (always, or with `ifStale` only when its inputs changed); resolves once it is in place. */
export async function buildWeb({
  ifStale = false,
  log = (line: string) => void process.stderr.write(`${line}\n`),
}: { ifStale?: boolean; log?: (line: string) => void } = {}): Promise<BuildOutcome> {
  if (ifStale && isBuildFresh()) return { built: false, seconds: 0 };
  return withLock(async () => {
    // Another process may have built it while this one waited for the lock.
    if (ifStale && isBuildFresh()) return { built: false, seconds: 0 };
    const started = performance.now();
    const hash = inputsHash();
    const { build } = await import('vite');
    const staging = path.join(WEB_DIR, `.dist-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    log('web console: building (vite build) …');
    // Vite compiles `process.env.NODE_ENV` into the bundle from the building process's own value when one is set: a
    // build started under vitest (NODE_ENV=test) would ship React's development build, several times slower. What
    // is served is always the production build.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ configFile: path.join(WEB_DIR, 'vite.config.ts'), mode: 'production', logLevel: 'warn', build: { outDir: staging, emptyOutDir: true } });
    } finally {
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    }
    writeFileSync(path.join(staging, HASH_FILE), `${hash}\n`);
    const previous = path.join(WEB_DIR, `.dist-old-${process.pid}`);
    if (existsSync(DIST_DIR)) renameSync(DIST_DIR, previous);
    renameSync(staging, DIST_DIR);
    rmSync(previous, { recursive: true, force: true });
    const seconds = (performance.now() - started) / 1000;
    log(`web console: built into web/dist in ${seconds.toFixed(1)} s`);
    return { built: true, seconds };
  });
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const ifStale = process.argv.includes('--if-stale');
  try {
    const outcome = await buildWeb({ ifStale });
    if (!outcome.built) process.stderr.write('web console: web/dist is up to date\n');
  } catch (error) {
    const missingVite = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes("'vite'");
    // `npm start` on an install without devDependencies (npm ci --omit=dev) still starts the API, without a console.
    if (missingVite) process.stderr.write('web console: not built: vite is not installed (an install with --omit=dev)\n');
    else process.stderr.write(`web console: build failed: ${(error as Error).stack ?? String(error)}\n`);
    // Before `npm start` (--if-stale) a console that cannot be built must not keep the API from starting: it serves
    // the previous build, or none.
    if (!ifStale) process.exitCode = 1;
    else process.stderr.write('web console: the API starts with the previous build, if any\n');
  }
}
