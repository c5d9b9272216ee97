import pg from 'pg';

/** Where group writes run: the pool (each statement its own transaction) or one checked-out client. */
export type GroupStatementRunner = Pick<pg.Pool, 'query'>;

/**
 * Group commit. Requests that arrive together are written by one statement (one round trip, one plan, one commit
 * for the whole group) instead of one each: PostgreSQL then spends its time on rows rather than on statements and
 * WAL flushes, which is what limits a busy API on a small machine.
 *
 * - A group starts as soon as a slot is free (at most `maxConcurrentGroups` statements in flight) and takes what has
 *   queued meanwhile, up to `maxRows`; `lingerMs` > 0 waits that long first so groups fill up. An idle server writes
 *   a lone request at once, so grouping costs no latency when there is no load.
 * - Each submitter is answered only when the statement that holds its row has returned, i.e. committed: nothing is
 *   acknowledged before it is durable.
 * - A group that fails is split in halves and each half written again, down to single rows, so one bad row fails
 *   only its own request. That is done only when `canSplit(error)` says the statement certainly did not commit
 *   (PostgreSQL rejected it); after a lost connection the outcome is unknown and the whole group fails instead.
 * - Rows are written in submission order within a group, and halves are retried in order.
 * - close() writes everything already submitted and waits for it; later submissions are refused.
 */
export interface GroupWriter<Item, Result> {
  /** Writes the items in one statement and returns one result per item, in the same order. */
  writeGroup(items: Item[]): Promise<Result[]>;
  /** Whether a failed group is certain to have written nothing, so its rows may be written again in smaller groups. */
  canSplit(error: unknown): boolean;
}

export interface BatcherOptions {
  maxRows: number;
  maxConcurrentGroups: number;
  lingerMs: number;
}

export interface Batcher<Item, Result> {
  submit(item: Item): Promise<Result>;
  /** Writes what is queued, waits for every group in flight, and refuses further submissions. */
  close(): Promise<void>;
  /** Rows waiting for a group, and groups in flight (for tests and metrics). */
  pending(): { queued: number; groupsInFlight: number };
  /** Groups written so far and the rows they held (split retries not counted), for metrics and benchmarks. */
  written(): { groups: number; rows: number };
}

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export class BatcherClosedError extends Error {
  override name = 'BatcherClosedError';
}

export function createBatcher<Item, Result>(writer: GroupWriter<Item, Result>, options: BatcherOptions): Batcher<Item, Result> {
  if (options.maxRows < 1 || options.maxConcurrentGroups < 1) throw new RangeError('maxRows and maxConcurrentGroups must be at least 1');
  const queue: Array<Waiting<Item, Result>> = [];
  let groupsInFlight = 0;
  let scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;
  let closed = false;
  let drained: (() => void) | undefined;
  let closing: Promise<void> | undefined;
  const totals = { groups: 0, rows: 0 };

  function schedule() {
    if (queue.length === 0) {
      if (groupsInFlight === 0) drained?.();
      return;
    }
    if (groupsInFlight >= options.maxConcurrentGroups) return; // the group in flight reschedules when it ends
    if (queue.length >= options.maxRows || closed) {
      clearScheduled();
      startGroup();
      schedule();
      return;
    }
    // Let the requests that arrive in the same turn of the event loop (or within the linger) join the group.
    scheduled ??= options.lingerMs > 0 ? setTimeout(fire, options.lingerMs) : setImmediate(fire);
  }

  function fire() {
    scheduled = undefined;
    if (groupsInFlight < options.maxConcurrentGroups && queue.length > 0) startGroup();
    schedule();
  }

  function clearScheduled() {
    if (scheduled === undefined) return;
    clearTimeout(scheduled as NodeJS.Timeout);
    clearImmediate(scheduled as NodeJS.Immediate);
    scheduled = undefined;
  }

  function startGroup() {
    const group = queue.splice(0, options.maxRows);
    groupsInFlight++;
    totals.groups++;
    totals.rows += group.length;
    void write(group).finally(() => {
      groupsInFlight--;
      schedule();
    });
  }

  async function write(group: Array<Waiting<Item, Result>>): Promise<void> {
    let results: Result[];
    try {
      results = await writer.writeGroup(group.map((waiting) => waiting.item));
    } catch (error) {
      if (group.length > 1 && writer.canSplit(error)) {
        const half = Math.ceil(group.length / 2);
        await write(group.slice(0, half));
        await write(group.slice(half));
      } else {
        for (const waiting of group) waiting.reject(error);
      }
      return;
    }
    if (results.length !== group.length) {
      const error = new Error(`A group write returned ${results.length} results for ${group.length} rows`);
      for (const waiting of group) waiting.reject(error);
      return;
    }
    group.forEach((waiting, i) => waiting.resolve(results[i]!));
  }

  return {
    submit(item) {
      if (closed) return Promise.reject(new BatcherClosedError('The event writer is closed'));
      return new Promise<Result>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        clearScheduled();
        drained = resolve;
        schedule();
      });
      return closing;
    },
    pending: () => ({ queued: queue.length, groupsInFlight }),
    written: () => ({ ...totals }),
  };
}

/**
 * Whether a failed statement certainly wrote nothing: PostgreSQL answered with an error (so the statement, its own
 * transaction, was rolled back) and the connection is not what failed. A socket that died mid-statement leaves the
 * outcome unknown.
 */
export function isRejectedStatement(error: unknown): boolean {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 10; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof pg.DatabaseError) return !(current.code ?? '').startsWith('08');
  }
  return false;
}
