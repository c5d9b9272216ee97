// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * Lint rules, chiefly the role boundaries of the house style:
 * - SQL lives in repos: `drizzle-orm` is imported only by `*.repo.ts` files and `src/db/` (type-only imports are
 *   fine elsewhere, they carry no queries);
 * - queue consumers run only in the worker process: `*.worker.ts` files and `src/queues/consumers.ts` are imported
 *   only from `src/queues/` and `src/worker.ts`, so the API never starts consuming jobs.
 */
const drizzleOnlyInRepos = {
  group: ['drizzle-orm', 'drizzle-orm/*'],
  allowTypeImports: true,
  message: 'SQL belongs in *.repo.ts files (or src/db/); call a repo function instead.',
};
const consumersOnlyInWorker = {
  group: ['**/*.worker', '**/*.worker.js', '**/queues/consumers', '**/queues/consumers.js'],
  message: 'Queue consumers are worker-only: import them from src/queues/ or src/worker.ts, never from API code.',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'web/dist/', 'web/.dist-*/', 'test-artifacts/', 'migrations/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.repo.ts', 'src/db/**', 'src/queues/**', 'src/worker.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [drizzleOnlyInRepos, consumersOnlyInWorker] }] },
  },
  {
    files: ['src/queues/**/*.ts', 'src/worker.ts'],
    ignores: ['src/**/*.repo.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [drizzleOnlyInRepos] }] },
  },
  {
    files: ['src/**/*.repo.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [consumersOnlyInWorker] }] },
  },
  {
    // The web console (web/src, React): the rules of hooks, and the React Compiler's checks of what hooks may do.
    files: ['web/src/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat['recommended-latest'],
  },
  {
    // Tests and benchmarks play every role (they start consumers, query tables to assert on them).
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
