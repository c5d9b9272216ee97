import { defineConfig } from 'drizzle-kit';

// drizzle-kit reads the schema to generate SQL migrations into ./migrations; the service applies them at start.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/oa_platform' },
  strict: true,
  verbose: true,
});
