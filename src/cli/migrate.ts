import { loadConfig } from '../config.js';
import { runMigrations } from '../db/migrate.js';

// `npm run db:migrate`: apply pending migrations and exit, for deployments that migrate as a separate step.
const config = loadConfig();
await runMigrations(config.databaseUrl, { info: (message) => console.log(message) });
