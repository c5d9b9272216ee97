import { defineConfig } from 'drizzle-kit';

// drizzle-kit reads the schema to generate SQL migrations into ./migrations; the service applies them at start.
// DRIZZLE_OUT lets `npm run db:check` generate into a scratch copy to see whether the schema has drifted.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: process.env.DRIZZLE_OUT ?? './migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/oa_platform' },
  strict: true,
  verbose: true,
});
