import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { watchConnection } from '../../src/redis.js';

/** A logger that keeps its lines. */
function recorder() {
  const lines: Array<{ level: 'warn' | 'info'; msg: string }> = [];
  return { lines, logger: { warn: (_: object, msg: string) => lines.push({ level: 'warn', msg }), info: (_: object, msg: string) => lines.push({ level: 'info', msg }) } };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

describe('watchConnection', () => {
  it('logs an outage once and its end once, however many errors come between', () => {
    const { lines, logger } = recorder();
    const worker = new EventEmitter();
    watchConnection(worker, logger, 'worker maintenance');
    worker.emit('error', refused());
    worker.emit('error', refused());
    worker.emit('ready');
    expect(lines).toEqual([
      { level: 'warn', msg: 'worker maintenance: connection lost' },
      { level: 'info', msg: 'worker maintenance: connection restored' },
    ]);
  });

  it("logs a BullMQ script's failure (a numeric code) as what it says, not as an outage", () => {
    const { lines, logger } = recorder();
    const worker = new EventEmitter();
    watchConnection(worker, logger, 'worker maintenance');
    worker.emit('error', refused());
    worker.emit('ready');
    // Redis came back empty: the job the worker was finishing has no key any more.
    worker.emit('error', Object.assign(new Error('Missing key for job repeat:sweep-broadcasts:1. moveToFinished'), { code: -1 }));
    worker.emit('ready');
    expect(lines).toEqual([
      { level: 'warn', msg: 'worker maintenance: connection lost' },
      { level: 'info', msg: 'worker maintenance: connection restored' },
      { level: 'warn', msg: 'worker maintenance: Missing key for job repeat:sweep-broadcasts:1. moveToFinished' },
    ]);
  });
});
