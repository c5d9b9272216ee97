export * from './users.js';
export * from './accounts.js';
export * from './quota.js';
export * from './followers.js';
export * from './events.js';
export * from './broadcasts.js';
export * from './outbox.js';
export * from './webhooks.js';
