import { describe, expect, it } from 'vitest';
import { decodeInboxCursor, encodeInboxCursor, mergeInboxPage, type InboxCursor, type InboxPosition, type InboxSource } from '../../src/modules/broadcasts/inbox.view.js';

type Row = { id: number; at: number };
/** The account's broadcasts have ids 1..ACCOUNT_BROADCASTS. */
const ACCOUNT_BROADCASTS = 300;

/**
 * The two sources as the inbox reads them, over rows in memory: broadcasts through windows of `scan` ids (a window
 * may hold none of the follower's, like the account's broadcasts the follower did not receive), replies by id.
 */
function readSources(broadcasts: Row[], replies: Row[], cursor: InboxCursor, limit: number, scan: number): [InboxSource<Row>, InboxSource<Row>] {
  const fetch = limit + 1;
  const below = (rows: Row[], position: InboxPosition) => rows.filter((row) => position === null || row.id < (position as number)).sort((x, y) => y.id - x.id);
  let a: InboxSource<Row> = { rows: [], from: cursor.broadcasts, idOf: (r) => r.id, timeOf: (r) => new Date(r.at), beyond: 'end' };
  if (cursor.broadcasts !== 'end') {
    // Every id below the bound is a broadcast of the account; the follower received those in `broadcasts`.
    const bound = cursor.broadcasts ?? ACCOUNT_BROADCASTS + 1;
    const windowIds = Array.from({ length: Math.min(scan, bound - 1) }, (_, i) => bound - 1 - i);
    const received = below(broadcasts, cursor.broadcasts).filter((row) => windowIds.includes(row.id)).slice(0, fetch);
    const floor = windowIds.length === scan ? windowIds.at(-1) : undefined;
    a = { ...a, rows: received, beyond: received.length === fetch ? 'more' : floor === undefined ? 'end' : { below: floor } };
  }
  const replyRows = cursor.replies === 'end' ? [] : below(replies, cursor.replies).slice(0, fetch);
  const b: InboxSource<Row> = { rows: replyRows, from: cursor.replies, idOf: (r) => r.id, timeOf: (r) => new Date(r.at), beyond: replyRows.length === fetch ? 'more' : 'end' };
  return [a, b];
}

function pageThrough(broadcasts: Row[], replies: Row[], limit: number, scan: number) {
  const seen: string[] = [];
  let cursor: string | null | undefined;
  let pages = 0;
  do {
    const [a, b] = readSources(broadcasts, replies, decodeInboxCursor(cursor ?? undefined), limit, scan);
    const page = mergeInboxPage(limit, a, b);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    for (const item of page.items) seen.push('a' in item ? `b${item.a.id}` : `r${item.b.id}`);
    cursor = encodeInboxCursor({ broadcasts: page.next[0], replies: page.next[1] });
    pages++;
  } while (cursor !== null && pages < 10_000);
  return { seen, pages };
}

describe('the merged inbox', () => {
  it('interleaves broadcasts and replies newest first, the broadcast first on a tie', () => {
    const a: InboxSource<Row> = { rows: [{ id: 9, at: 50 }, { id: 7, at: 30 }], from: null, idOf: (r) => r.id, timeOf: (r) => new Date(r.at), beyond: 'end' };
    const b: InboxSource<Row> = { rows: [{ id: 4, at: 40 }, { id: 3, at: 30 }, { id: 1, at: 10 }], from: null, idOf: (r) => r.id, timeOf: (r) => new Date(r.at), beyond: 'end' };
    const page = mergeInboxPage(10, a, b);
    expect(page.items.map((item) => ('a' in item ? `b${item.a.id}` : `r${item.b.id}`))).toEqual(['b9', 'r4', 'b7', 'r3', 'r1']);
    expect(page.next).toEqual(['end', 'end']);
  });

  it('stops at a broadcast window boundary instead of passing older replies over the broadcasts below it', () => {
    const a: InboxSource<Row> = { rows: [{ id: 900, at: 50 }], from: null, idOf: (r) => r.id, timeOf: (r) => new Date(r.at), beyond: { below: 700 } };
    const b: InboxSource<Row> = { rows: [{ id: 4, at: 40 }, { id: 3, at: 20 }], from: null, idOf: (r) => r.id, timeOf: (r) => new Date(r.at), beyond: 'end' };
    const page = mergeInboxPage(10, a, b);
    expect(page.items.map((item) => ('a' in item ? `b${item.a.id}` : `r${item.b.id}`))).toEqual(['b900']);
    expect(page.next).toEqual([700, null]);
  });

  it('pages through every row once, in time order, whatever the page size and window', () => {
    // Deterministic pseudo-random data: ids grow with time within each source, times interleave across them.
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    for (const [limit, scan] of [[1, 3], [2, 5], [5, 4], [20, 50]] as const) {
      const broadcasts: Row[] = [];
      const replies: Row[] = [];
      let at = 0;
      for (let id = 1; id <= ACCOUNT_BROADCASTS; id++) if (random() < 0.3) broadcasts.push({ id, at: (at += Math.floor(random() * 10)) });
      at = 0;
      for (let id = 1; id <= 120; id++) replies.push({ id, at: (at += Math.floor(random() * 25)) });
      const { seen } = pageThrough(broadcasts, replies, limit, scan);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe(broadcasts.length + replies.length);
      const timeOf = new Map<string, number>([...broadcasts.map((r) => [`b${r.id}`, r.at] as const), ...replies.map((r) => [`r${r.id}`, r.at] as const)]);
      const times = seen.map((key) => timeOf.get(key)!);
      expect(times).toEqual([...times].sort((x, y) => y - x));
    }
  });

  it('continues a cursor issued before replies were listed, and refuses one it did not issue', () => {
    expect(decodeInboxCursor(Buffer.from('k1:42').toString('base64url'))).toEqual({ broadcasts: 42, replies: null });
    expect(decodeInboxCursor(encodeInboxCursor({ broadcasts: 'end', replies: 17 })!)).toEqual({ broadcasts: 'end', replies: 17 });
    expect(encodeInboxCursor({ broadcasts: 'end', replies: 'end' })).toBeNull();
    expect(() => decodeInboxCursor(Buffer.from('i1:x:1').toString('base64url'))).toThrow(/not a cursor this API issued/);
  });
});
