import { WechatError } from '../../errors.js';
import type { SubscribeScene } from '../followers/wechat-constants.js';
import { isCalendarDay, periodStarts, type StatsService } from './stats.service.js';

/**
 * WeChat's statistics views (`POST /datacube/<name>` with `{begin_date, end_date}` → `{list: [...]}`), answered from
 * the same rollups as the admin API's stats routes, in WeChat's field names, codes and rules: each view's maximum span
 * (end − begin < span), end_date yesterday at the latest, 61500 for a malformed date, 61501 for a bad range. The
 * WeChat-compatible facade authenticates the access token, resolves the account and mounts these.
 */

/** The longest range each view answers, in days (WeChat's 最大时间跨度). */
export const DATACUBE_SPANS = {
  getusersummary: 7,
  getusercumulate: 7,
  getarticlesummary: 1,
  getarticletotal: 1,
  getuserread: 3,
  getuserreadhour: 1,
  getusershare: 7,
  getusersharehour: 1,
  getupstreammsg: 7,
  getupstreammsghour: 1,
  getupstreammsgweek: 30,
  getupstreammsgmonth: 30,
  getupstreammsgdist: 15,
  getupstreammsgdistweek: 30,
  getupstreammsgdistmonth: 30,
} as const;
export type DatacubeView = keyof typeof DATACUBE_SPANS;

/** getusersummary's user_source for each subscribe scene; 0 is WeChat's "other sources, together". */
const USER_SOURCE: Record<SubscribeScene, number> = {
  ADD_SCENE_SEARCH: 1,
  ADD_SCENE_ACCOUNT_MIGRATION: 0,
  ADD_SCENE_PROFILE_CARD: 17,
  ADD_SCENE_QR_CODE: 30,
  ADD_SCENE_PROFILE_LINK: 57,
  ADD_SCENE_PROFILE_ITEM: 43,
  // Since June 2023 WeChat counts follows after payment under "other".
  ADD_SCENE_PAID: 0,
  ADD_SCENE_WECHAT_ADVERTISEMENT: 100,
  ADD_SCENE_REPRINT: 161,
  ADD_SCENE_LIVESTREAM: 201,
  ADD_SCENE_CHANNELS: 200,
  ADD_SCENE_OTHERS: 0,
};
/** getuserread's user_source for each read source, and 99999999 for all of them. */
const READ_SOURCE: Record<string, number> = { session: 0, friends: 1, moments: 2, history: 4, other: 5, kanyikan: 6, souyisou: 7 };
const ALL_SOURCES = 99_999_999;
const SHARE_SCENE: Record<string, number> = { friend: 1, moments: 2, other: 255 };

/** getarticletotal's per-source detail fields: WeChat's name for each read source, and for each shared-from source. */
const DETAIL_READ_SOURCES: Record<string, string> = {
  session: 'session',
  history: 'hist_msg',
  moments: 'feed',
  friends: 'friends',
  other: 'other',
  kanyikan: 'kanyikan',
  souyisou: 'souyisou',
};
const DETAIL_SHARE_SOURCES: Record<string, string> = { session: 'session', moments: 'feed', other: 'other' };

/**
 * getarticletotal's per-source figures from one day's details ('read:<source>' / 'moments_share:<source>' →
 * [users, events] to date): article-page readers and reads by where the article was opened, and sharers and shares
 * to Moments by where they had opened it. Every field is present, 0 where nothing happened.
 */
function sourceDetail(details: Map<string, [number, number]> | undefined) {
  const figure = (detail: string) => details?.get(detail) ?? [0, 0];
  return {
    ...Object.fromEntries(
      Object.entries(DETAIL_READ_SOURCES).flatMap(([source, name]) => {
        const [users, count] = figure(`read:${source}`);
        return [[`int_page_from_${name}_read_user`, users], [`int_page_from_${name}_read_count`, count]];
      }),
    ),
    ...Object.fromEntries(
      Object.entries(DETAIL_SHARE_SOURCES).flatMap(([source, name]) => {
        const [users, count] = figure(`moments_share:${source}`);
        return [[`feed_share_from_${name}_user`, users], [`feed_share_from_${name}_cnt`, count]];
      }),
    ),
  };
}

const DAY_MS = 86_400_000;

/** The request's range, checked as WeChat checks it. */
export function datacubeRange(view: DatacubeView, body: unknown, today: string): { from: string; to: string } {
  const { begin_date: from, end_date: to } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (!isCalendarDay(from) || !isCalendarDay(to)) throw new WechatError(61500, 'date format error');
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS;
  // WeChat keeps statistics from 2014-12-01 on.
  if (days < 0 || days >= DATACUBE_SPANS[view] || to >= today || from < '2014-12-01') throw new WechatError(61501, 'date range error');
  return { from, to };
}

/** Adds rows that share a key (two scenes or types with one WeChat code) into one. */
function summed<Row extends Record<string, number | string>>(rows: Row[], key: (row: Row) => string, fields: Array<keyof Row>): Row[] {
  const byKey = new Map<string, Row>();
  for (const row of rows) {
    const existing = byKey.get(key(row));
    if (!existing) byKey.set(key(row), { ...row });
    else for (const field of fields) (existing[field] as number) += row[field] as number;
  }
  return [...byKey.values()];
}

const engagement = (figures: {
  intPageReadUser: number;
  intPageReadCount: number;
  oriPageReadUser: number;
  oriPageReadCount: number;
  shareUser: number;
  shareCount: number;
  addToFavUser: number;
  addToFavCount: number;
}) => ({
  int_page_read_user: figures.intPageReadUser,
  int_page_read_count: figures.intPageReadCount,
  ori_page_read_user: figures.oriPageReadUser,
  ori_page_read_count: figures.oriPageReadCount,
  share_user: figures.shareUser,
  share_count: figures.shareCount,
  add_to_fav_user: figures.addToFavUser,
  add_to_fav_count: figures.addToFavCount,
});

export type Datacube = ReturnType<typeof createDatacube>;

export function createDatacube(deps: { stats: StatsService }) {
  const { stats } = deps;
  const day = (range: { from: string; to: string }) => ({ ...range, granularity: 'day' as const });

  async function messages(accountId: number, range: { from: string; to: string }, granularity: 'day' | 'week' | 'month') {
    const rows = await stats.upstreamByWechatType(accountId, { ...range, granularity });
    return rows.map((row) => ({ ref_date: row.refDate, msg_type: row.msgType, msg_user: row.msgUser, msg_count: row.msgCount }));
  }

  async function distribution(accountId: number, range: { from: string; to: string }, granularity: 'day' | 'week' | 'month') {
    const items = await stats.activation(accountId, { ...range, granularity });
    return items.flatMap((item) =>
      ([['1-5', 1], ['6-10', 2], ['>10', 3]] as const)
        .filter(([bucket]) => item.distribution[bucket] > 0)
        .map(([bucket, interval]) => ({ ref_date: item.refDate, count_interval: interval, msg_user: item.distribution[bucket] })),
    );
  }

  const views: Record<DatacubeView, (accountId: number, range: { from: string; to: string }) => Promise<unknown[]>> = {
    async getusersummary(accountId, range) {
      const items = await stats.followers(accountId, day(range));
      return items.flatMap((item) => {
        const rows = summed(
          item.userSource.map((source) => ({
            ref_date: item.refDate,
            user_source: USER_SOURCE[source.scene as SubscribeScene] ?? 0,
            new_user: source.newUser,
            cancel_user: source.cancelUser,
          })),
          (row) => String(row.user_source),
          ['new_user', 'cancel_user'],
        ).sort((a, b) => a.user_source - b.user_source);
        return rows.length > 0 ? rows : [{ ref_date: item.refDate, user_source: 0, new_user: 0, cancel_user: 0 }];
      });
    },
    async getusercumulate(accountId, range) {
      const items = await stats.followers(accountId, day(range));
      return items.map((item) => ({ ref_date: item.refDate, user_source: 0, cumulate_user: item.cumulateUser }));
    },
    async getarticlesummary(accountId, range) {
      const items = await stats.articles(accountId, day(range));
      return items.map((item) => ({ ref_date: item.refDate, msgid: `${item.msgDataId}_${item.articleIndex}`, title: item.title, ...engagement(item) }));
    },
    async getarticletotal(accountId, range) {
      // The articles sent on ref_date, with their figures to date for each of the (at most) 7 days since, up to yesterday.
      const sent = await stats.articlesSentOn(accountId, range.from);
      const lastDay = new Date(Date.parse(`${stats.today()}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
      const dayList = periodStarts(range.from, lastDay, 'day').slice(0, 7);
      const statDays = new Set(dayList);
      const list = [];
      for (const msgDataId of sent) {
        const [totals, details] = await Promise.all([stats.articleTotals(accountId, msgDataId), stats.articleDetailsToDate(accountId, msgDataId, dayList)]);
        const byArticle = new Map<number, typeof totals>();
        for (const row of totals) if (statDays.has(row.refDate)) byArticle.set(row.articleIndex, [...(byArticle.get(row.articleIndex) ?? []), row]);
        for (const [articleIndex, rows] of byArticle) {
          list.push({
            ref_date: range.from,
            msgid: `${msgDataId}_${articleIndex}`,
            title: rows[0]!.title,
            details: rows.map((row) => ({
              stat_date: row.refDate,
              target_user: row.targetUser,
              ...engagement(row),
              ...sourceDetail(details.get(`${articleIndex}/${row.refDate}`)),
            })),
          });
        }
      }
      return list;
    },
    async getuserread(accountId, range) {
      const items = await stats.reads(accountId, day(range));
      return items.flatMap((item) => [
        { ref_date: item.refDate, user_source: ALL_SOURCES, ...engagement(item) },
        // Per source, WeChat gives the article-page figures (and shares); original-page and favourites only for all.
        ...item.bySource
          .map((source) => ({
            ref_date: item.refDate,
            user_source: READ_SOURCE[source.userSource] ?? 5,
            int_page_read_user: source.intPageReadUser,
            int_page_read_count: source.intPageReadCount,
            ori_page_read_user: 0,
            ori_page_read_count: 0,
            share_user: source.shareUser,
            share_count: source.shareCount,
            add_to_fav_user: 0,
            add_to_fav_count: 0,
          }))
          .sort((a, b) => a.user_source - b.user_source),
      ]);
    },
    async getusershare(accountId, range) {
      const items = await stats.reads(accountId, day(range));
      return items.flatMap((item) =>
        item.byShareScene
          .map((scene) => ({ ref_date: item.refDate, share_scene: SHARE_SCENE[scene.shareScene] ?? 255, share_count: scene.shareCount, share_user: scene.shareUser }))
          .sort((a, b) => a.share_scene - b.share_scene),
      );
    },
    async getupstreammsghour(accountId, range) {
      const rows = await stats.upstreamHourByWechatType(accountId, range.from);
      return rows.map((row) => ({ ref_date: row.refDate, ref_hour: row.refHour * 100, msg_type: row.msgType, msg_user: row.msgUser, msg_count: row.msgCount }));
    },
    async getuserreadhour(accountId, range) {
      const hours = await stats.readsByHour(accountId, range.from);
      return hours
        .filter((hour) => hour.intPageReadCount + hour.oriPageReadCount + hour.shareCount + hour.addToFavCount > 0)
        .flatMap((hour) => [
          { ref_date: hour.refDate, ref_hour: hour.refHour * 100, user_source: ALL_SOURCES, ...engagement(hour) },
          ...hour.bySource
            .map((source) => ({
              ref_date: hour.refDate,
              ref_hour: hour.refHour * 100,
              user_source: READ_SOURCE[source.userSource] ?? 5,
              ...engagement({ ...source, oriPageReadUser: 0, oriPageReadCount: 0, addToFavUser: 0, addToFavCount: 0 }),
            }))
            .sort((a, b) => a.user_source - b.user_source),
        ]);
    },
    async getusersharehour(accountId, range) {
      const hours = await stats.readsByHour(accountId, range.from);
      return hours.flatMap((hour) =>
        hour.byShareScene
          .map((scene) => ({ ref_date: hour.refDate, ref_hour: hour.refHour * 100, share_scene: SHARE_SCENE[scene.shareScene] ?? 255, share_count: scene.shareCount, share_user: scene.shareUser }))
          .sort((a, b) => a.share_scene - b.share_scene),
      );
    },
    getupstreammsg: (accountId, range) => messages(accountId, range, 'day'),
    getupstreammsgweek: (accountId, range) => messages(accountId, range, 'week'),
    getupstreammsgmonth: (accountId, range) => messages(accountId, range, 'month'),
    getupstreammsgdist: (accountId, range) => distribution(accountId, range, 'day'),
    getupstreammsgdistweek: (accountId, range) => distribution(accountId, range, 'week'),
    getupstreammsgdistmonth: (accountId, range) => distribution(accountId, range, 'month'),
  };

  return {
    views: Object.keys(DATACUBE_SPANS) as DatacubeView[],
    /** Answers one view for an account: `{list}`, or throws a WechatError (61500, 61501). */
    async answer(view: DatacubeView, accountId: number, body: unknown): Promise<{ list: unknown[] }> {
      const range = datacubeRange(view, body, stats.today());
      return { list: await views[view](accountId, range) };
    },
  };
}
