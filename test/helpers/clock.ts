import type { Clock } from '../../src/clock.js';

/** A clock the test sets; it does not move by itself. */
export class TestClock implements Clock {
  private current: Date;
  constructor(start: Date | string = '2026-06-15T04:00:00Z') {
    this.current = new Date(start);
  }
  now(): Date {
    return new Date(this.current);
  }
  set(instant: Date | string): void {
    this.current = new Date(instant);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
