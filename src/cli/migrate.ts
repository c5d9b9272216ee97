import { loadConfigOrExit, migrateOrExit } from '../startup.js';

// `npm run db:migrate`: apply pending migrations and exit, for deployments that migrate as a separate step.
const config = loadConfigOrExit('cli');
await migrateOrExit('cli', config, (message) => console.log(message));
