import { describe, expect, it } from 'vitest';
import { BatcherClosedError, createBatcher, type GroupWriter } from '../../src/db/group-commit.js';

/** A writer that records each group it is given and answers when the test says so. */
function recordingWriter(options: { failWhen?: (items: number[]) => boolean; splittable?: boolean } = {}) {
  const groups: number[][] = [];
  const open: Array<() => void> = [];
  const writer: GroupWriter<number, string> = {
    async writeGroup(items) {
      groups.push([...items]);
      await new Promise<void>((resolve) => open.push(resolve));
      if (options.failWhen?.(items)) throw Object.assign(new Error(`group ${items.join(',')} rejected`), { rejected: true });
      return items.map((item) => `stored ${item}`);
    },
    canSplit: (error) => options.splittable !== false && (error as { rejected?: boolean }).rejected === true,
  };
  /** Lets every write that has started finish, repeatedly, until the given promise settles. */
  async function settle<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    void promise.then(
      () => (done = true),
      () => (done = true),
    );
    while (!done) {
      open.splice(0).forEach((resolve) => resolve());
      await new Promise((resolve) => setImmediate(resolve));
    }
    return promise;
  }
  return { writer, groups, open, settle };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('group commit', () => {
  it('writes the requests of one event-loop turn as one group and answers each with its own result', async () => {
    const { writer, groups, settle } = recordingWriter();
    const batcher = createBatcher(writer, { maxRows: 100, maxConcurrentGroups: 1, lingerMs: 0 });
    const results = settle(Promise.all([1, 2, 3, 4, 5].map((n) => batcher.submit(n))));
    expect(await results).toEqual(['stored 1', 'stored 2', 'stored 3', 'stored 4', 'stored 5']);
    expect(groups).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('answers no request before the statement holding its row has returned', async () => {
    const { writer, open } = recordingWriter();
    const batcher = createBatcher(writer, { maxRows: 100, maxConcurrentGroups: 1, lingerMs: 0 });
    let answered = false;
    const result = batcher.submit(1).then((r) => {
      answered = true;
      return r;
    });
    await tick();
    await tick();
    expect(open).toHaveLength(1); // the write has started…
    expect(answered).toBe(false); // …and the caller still waits for it
    open[0]!();
    expect(await result).toBe('stored 1');
  });

  it('keeps at most maxConcurrentGroups statements in flight; what queues meanwhile forms the next group, in order', async () => {
    const { writer, groups, open } = recordingWriter();
    const batcher = createBatcher(writer, { maxRows: 100, maxConcurrentGroups: 2, lingerMs: 0 });
    const all: Array<Promise<string>> = [batcher.submit(1)];
    await tick();
    all.push(batcher.submit(2));
    await tick();
    all.push(batcher.submit(3), batcher.submit(4));
    await tick();
    expect(groups).toEqual([[1], [2]]); // two in flight, 3 and 4 wait
    expect(batcher.pending()).toEqual({ queued: 2, groupsInFlight: 2 });
    open.shift()!();
    await tick();
    await tick();
    expect(groups).toEqual([[1], [2], [3, 4]]);
    open.splice(0).forEach((resolve) => resolve());
    expect(await Promise.all(all)).toEqual(['stored 1', 'stored 2', 'stored 3', 'stored 4']);
  });

  it('never puts more than maxRows rows in one statement', async () => {
    const { writer, groups, settle } = recordingWriter();
    const batcher = createBatcher(writer, { maxRows: 3, maxConcurrentGroups: 4, lingerMs: 0 });
    await settle(Promise.all(Array.from({ length: 8 }, (_, i) => batcher.submit(i))));
    expect(groups).toEqual([[0, 1, 2], [3, 4, 5], [6, 7]]);
  });

  it('a rejected group is split until the bad row fails alone; the other rows are stored', async () => {
    const { writer, groups, settle } = recordingWriter({ failWhen: (items) => items.includes(3) });
    const batcher = createBatcher(writer, { maxRows: 100, maxConcurrentGroups: 1, lingerMs: 0 });
    const outcomes = await settle(Promise.allSettled([1, 2, 3, 4, 5].map((n) => batcher.submit(n))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason.message).toBe('group 3 rejected');
    // Halves in order, so rows are still written in submission order.
    expect(groups).toEqual([[1, 2, 3, 4, 5], [1, 2, 3], [1, 2], [3], [4, 5]]);
  });

  it('fails the whole group, without writing again, when the outcome of the failed statement is unknown', async () => {
    const { writer, groups, settle } = recordingWriter({ failWhen: (items) => items.includes(3), splittable: false });
    const batcher = createBatcher(writer, { maxRows: 100, maxConcurrentGroups: 1, lingerMs: 0 });
    const outcomes = await settle(Promise.allSettled([1, 2, 3].map((n) => batcher.submit(n))));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(groups).toEqual([[1, 2, 3]]);
  });

  it('rejects every row of a group whose write returns the wrong number of results', async () => {
    const batcher = createBatcher<number, number>({ writeGroup: async () => [1], canSplit: () => true }, { maxRows: 10, maxConcurrentGroups: 1, lingerMs: 0 });
    const outcomes = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });

  it('close() writes what is queued and in flight, then refuses new rows', async () => {
    const { writer, groups, open } = recordingWriter();
    const batcher = createBatcher(writer, { maxRows: 2, maxConcurrentGroups: 1, lingerMs: 50 });
    const submitted = [1, 2, 3, 4, 5].map((n) => batcher.submit(n));
    let closed = false;
    const closing = batcher.close().then(() => (closed = true));
    await tick();
    expect(groups).toEqual([[1, 2]]); // written at once: closing does not wait for the linger
    while (!closed) {
      open.splice(0).forEach((resolve) => resolve());
      await tick();
    }
    await closing;
    expect(groups).toEqual([[1, 2], [3, 4], [5]]);
    expect(await Promise.all(submitted)).toEqual(['stored 1', 'stored 2', 'stored 3', 'stored 4', 'stored 5']);
    await expect(batcher.submit(6)).rejects.toBeInstanceOf(BatcherClosedError);
    await batcher.close(); // idempotent
  });
});
