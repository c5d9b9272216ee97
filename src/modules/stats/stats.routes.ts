import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { sendEncoded, storedEncodingFor, varyOnEncoding } from '../../http/compression.js';
import { AccountParams, adminSecurity, problems } from '../../http/schemas.js';
import { createAnswerCache } from './stats.cache.js';
import { csvStream } from './stats.csv.js';
import { itemsJson } from './stats.json.js';
import { createPeriodCache } from './stats.periods.js';
import {
  ActivationHourItem,
  ActivationItem,
  ArticleDayItem,
  ArticleHourItem,
  ArticleParams,
  ArticleQuery,
  ArticleTotalItem,
  AttributesAnswer,
  AttributesQuery,
  FollowerGrowthItem,
  FollowerSourceItem,
  HourlyQuery,
  ItemsOf,
  ReadDayItem,
  ReadHourItem,
  StatsQuery,
} from './stats.schemas.js';
import type { StatsRange, StatsService } from './stats.service.js';

/** Whether the client asked for CSV: `?format=csv`, or an Accept that prefers text/csv (and no `format=json`). */
function wantsCsv(asked: { format?: string; accept?: string }): boolean {
  if (asked.format !== undefined) return asked.format === 'csv';
  return /(^|,)\s*text\/csv\b/.test(asked.accept ?? '');
}

/**
 * How an answer with items is sent: as CSV, these columns of its items; as JSON, an answer that is `{items}` alone
 * item by item by `itemSchema` (itemsJson), any other by the route's schema as a whole.
 */
interface ItemsShape {
  columns: string[];
  itemSchema?: TSchema;
}

/** The shape of an answer `{items}` whose items are `itemSchema`. */
const itemsOf = (itemSchema: TSchema, columns: string[]) => ({ itemSchema, columns });

/**
 * Sends `rows` as {items} or, when asked, as CSV with these columns (nested lists such as userSource are JSON only).
 * CSV is streamed and goes around the JSON serializer, so its rows are the same objects.
 */
function answer<Row extends object>(request: FastifyRequest, reply: FastifyReply, rows: Row[], shape: Required<ItemsShape>) {
  return wantsCsvFrom(request) ? sendCsv(reply, shape.columns, rows) : reply.type('application/json; charset=utf-8').send(itemsBody(reply, rows, shape.itemSchema));
}

/** The route's serializer for one item of `itemSchema`. */
const itemSerializer = (reply: FastifyReply, itemSchema: TSchema) => reply.compileSerializationSchema(itemSchema as Record<string, unknown>) as (item: object) => string;

/** The JSON of `{items: rows}`, each item by the route's serializer for `itemSchema` (itemsJson says why not at once). */
function itemsBody(reply: FastifyReply, rows: object[], itemSchema: TSchema): Buffer {
  return itemsJson(rows, itemSerializer(reply, itemSchema));
}

/** A period answer's items over any range within the asked one (one item or more per period, in period order). */
type PeriodItems = (range: StatsRange) => Promise<Array<{ refDate: string }>>;

const wantsCsvFrom = (request: FastifyRequest) => wantsCsv({ format: (request.query as { format?: string }).format, accept: request.headers.accept });

function sendCsv<Row extends object>(reply: FastifyReply, columns: string[], rows: Row[]) {
  return reply.type('text/csv; charset=utf-8').header('content-disposition', 'inline').send(csvStream(columns, rows as Array<Record<string, unknown>>));
}

/** The size of the kept answers, per process: a year of daily reads or articles is about half a megabyte of JSON. */
const ANSWER_CACHE_BYTES = 64 * 1024 * 1024;
/** The size of the kept periods of answers (stats.periods.ts), per process: the same JSON, a period at a time. */
const PERIOD_CACHE_BYTES = 64 * 1024 * 1024;

/** Whether the client asked for a freshly computed answer (`Cache-Control: no-cache`), not a kept one. */
const wantsFresh = (request: FastifyRequest) => /(^|,)\s*no-cache\b/i.test(request.headers['cache-control'] ?? '');

/** `compression`: whether answers are compressed when the client accepts it (HTTP_COMPRESSION). */
export const statsRoutes: FastifyPluginAsyncTypebox<{ stats: StatsService; compression: boolean }> = async (app, { stats, compression }) => {
  const tags = ['statistics'];
  const security = adminSecurity;
  const read = { onRequest: app.authenticate, preHandler: app.authorizeAccount('stats:read') };
  const csvNote = 'JSON `{items}`, or CSV with a header line when `format=csv` or `Accept: text/csv`';
  // Said by the routes answered with answerFromRollups.
  const keptNote = "The JSON is kept until the account's statistics change (a fold of its new events); `Cache-Control: no-cache` computes it afresh.";
  const cache = createAnswerCache(ANSWER_CACHE_BYTES);
  const periods = createPeriodCache(PERIOD_CACHE_BYTES, stats.rollupState);

  /**
   * `answer` for figures computed from the rollups alone: the JSON is kept and sent again while the version of the
   * account's rollups holds, so it is as live as a fresh computation (`compute` reads the rollups after the version is
   * read). The key is the URL as asked on the day asked (a route's default day is today). A period answer (`view`
   * names it, `periodItems` computes its items over any range) is made of the periods kept since an earlier version
   * that no fold has changed since, and of the others computed (stats.periods.ts).
   */
  async function answerFromRollups<Payload extends { items: object[] }>(
    request: FastifyRequest,
    reply: FastifyReply,
    compute: () => Promise<Payload>,
    shape: ItemsShape,
    byPeriod?: { view: string; range: StatsRange; periodItems: PeriodItems },
  ) {
    if (wantsCsvFrom(request)) return sendCsv(reply, shape.columns, (await compute()).items);
    const key = `${stats.today()} ${request.url}`;
    const accountId = request.accountAccess.account.id;
    const fresh = wantsFresh(request);
    // A period answer asks, in the same read, what changed since its periods were kept.
    let state = await stats.rollupState(accountId, byPeriod && !fresh ? periods.keptSince(accountId, byPeriod.view, byPeriod.range.granularity) : undefined);
    let kept = fresh ? undefined : cache.get(key, state.version);
    if (!kept) {
      let body: Buffer;
      if (byPeriod && shape.itemSchema && !fresh) {
        const { view, range, periodItems } = byPeriod;
        // Made at `state` or, when folds landed on its kept periods meanwhile, at a later one.
        ({ body, state } = await periods.itemsJson({ accountId, view, range: stats.checkRange(range), state, compute: periodItems, serializeItem: itemSerializer(reply, shape.itemSchema) }));
      } else {
        const payload = await compute();
        // By the route's own serializer (its response schema), as any other answer.
        body = shape.itemSchema ? itemsBody(reply, payload.items, shape.itemSchema) : Buffer.from(reply.serialize(payload) as string);
      }
      kept = cache.set(key, state.version, body);
    }
    reply.type('application/json; charset=utf-8');
    if (!compression) return reply.send(kept.body);
    // Compressed here, not by the plugin, so that the compressed copy is kept too. Sent as it is, it still varies
    // with Accept-Encoding.
    const encoding = storedEncodingFor(request, kept.body);
    return encoding ? sendEncoded(reply, kept.encoded(encoding), encoding) : varyOnEncoding(reply).send(kept.body);
  }

  /** answerFromRollups for a period answer: `view`'s items over the asked `range`, or over part of it. */
  const answerPerPeriod = (request: FastifyRequest, reply: FastifyReply, range: StatsRange, view: string, periodItems: PeriodItems, shape: Required<ItemsShape>) =>
    answerFromRollups(request, reply, async () => ({ items: await periodItems(range) }), shape, { view, range, periodItems });

  app.get('/v1/accounts/:id/stats/followers', {
    ...read,
    schema: {
      tags,
      security,
      summary: 'Follower growth: new, cancelled, net and cumulative followers per period, by scene',
      description: `${csvNote}. ${keptNote}`,
      params: AccountParams,
      querystring: StatsQuery,
      response: { 200: ItemsOf(FollowerGrowthItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answerPerPeriod(
        request,
        reply,
        request.query,
        'followers',
        (range) => stats.followers(request.accountAccess.account.id, range),
        itemsOf(FollowerGrowthItem, ['refDate', 'newUser', 'cancelUser', 'netUser', 'cumulateUser']),
      ),
  });

  app.get('/v1/accounts/:id/stats/followers/sources', {
    ...read,
    schema: {
      tags,
      security,
      summary: 'Follows and unfollows by scene over the periods of the range (the growth answer\'s userSource, summed), most follows first',
      description: `${csvNote}. ${keptNote}`,
      params: AccountParams,
      querystring: StatsQuery,
      response: { 200: ItemsOf(FollowerSourceItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answerFromRollups(
        request,
        reply,
        async () => ({ items: await stats.followerSources(request.accountAccess.account.id, request.query) }),
        itemsOf(FollowerSourceItem, ['scene', 'newUser', 'cancelUser']),
      ),
  });

  app.get('/v1/accounts/:id/stats/activation', {
    ...read,
    schema: {
      tags,
      security,
      summary: 'Activation: followers who sent messages, messages, average per sender, by type, and senders by messages sent',
      description: `${csvNote}. ${keptNote}`,
      params: AccountParams,
      querystring: StatsQuery,
      response: { 200: ItemsOf(ActivationItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answerPerPeriod(
        request,
        reply,
        request.query,
        'activation',
        (range) => stats.activation(request.accountAccess.account.id, range),
        itemsOf(ActivationItem, ['refDate', 'msgUser', 'msgCount', 'avgPerUser', 'distribution.0', 'distribution.1-5', 'distribution.6-10', 'distribution.>10']),
      ),
  });

  const engagementColumns = ['intPageReadUser', 'intPageReadCount', 'oriPageReadUser', 'oriPageReadCount', 'shareUser', 'shareCount', 'addToFavUser', 'addToFavCount'];

  app.get('/v1/accounts/:id/stats/articles', {
    ...read,
    schema: {
      tags,
      security,
      summary: 'Article engagement per day and article: page readers and reads, original-link readers and reads, sharers and shares, favourites',
      description: `${csvNote}. Per day only (granularity=day). ${keptNote}`,
      params: AccountParams,
      querystring: StatsQuery,
      response: { 200: ItemsOf(ArticleDayItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answerPerPeriod(
        request,
        reply,
        request.query,
        'articles',
        // A granularity other than day is refused here, before any period of it could be kept.
        (range) => stats.articles(request.accountAccess.account.id, range),
        itemsOf(ArticleDayItem, ['refDate', 'msgDataId', 'articleIndex', 'title', ...engagementColumns]),
      ),
  });

  app.get('/v1/accounts/:id/stats/articles/:msgDataId', {
    ...read,
    schema: {
      tags,
      security,
      summary: "One news broadcast's articles from their send day to today: figures to date, with the recipients",
      description: csvNote,
      params: ArticleParams,
      querystring: ArticleQuery,
      response: { 200: ItemsOf(ArticleTotalItem), ...problems(400, 401, 403, 404) },
    },
    // Not kept: the recipients (targetUser) grow while the broadcast is sending, which no fold tells.
    handler: async (request, reply) =>
      answer(
        request,
        reply,
        await stats.articleTotals(request.accountAccess.account.id, request.params.msgDataId),
        itemsOf(ArticleTotalItem, ['refDate', 'articleIndex', 'title', 'targetUser', ...engagementColumns]),
      ),
  });

  app.get('/v1/accounts/:id/stats/articles/:msgDataId/hourly', {
    ...read,
    schema: {
      tags,
      security,
      summary: "One news broadcast's articles per hour of one day: readers and reads, original-link readers and reads, sharers and shares, favourites",
      description: `${csvNote}. ${keptNote}`,
      params: ArticleParams,
      querystring: HourlyQuery,
      response: { 200: ItemsOf(ArticleHourItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answerFromRollups(
        request,
        reply,
        async () => ({ items: await stats.articleByHour(request.accountAccess.account.id, request.params.msgDataId, request.query.date ?? stats.today()) }),
        itemsOf(ArticleHourItem, ['refDate', 'refHour', 'articleIndex', 'title', ...engagementColumns]),
      ),
  });

  app.get('/v1/accounts/:id/stats/reads', {
    ...read,
    schema: {
      tags,
      security,
      summary: "The account's article engagement per day, with reads by source and shares by scene",
      description: `${csvNote}. Per day only (granularity=day). ${keptNote}`,
      params: AccountParams,
      querystring: StatsQuery,
      response: { 200: ItemsOf(ReadDayItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answerPerPeriod(request, reply, request.query, 'reads', (range) => stats.reads(request.accountAccess.account.id, range), itemsOf(ReadDayItem, ['refDate', ...engagementColumns])),
  });

  app.get('/v1/accounts/:id/stats/attributes', {
    ...read,
    schema: {
      tags,
      security,
      summary: 'Followers by gender, language, country, province and city, now or at the end of a past day',
      description: `${csvNote} (the items). ${keptNote}`,
      params: AccountParams,
      querystring: AttributesQuery,
      response: { 200: AttributesAnswer, ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answerFromRollups(request, reply, () => stats.attributes(request.accountAccess.account.id, request.query), { columns: ['attribute', 'value', 'followers', 'share'] }),
  });

  app.get('/v1/accounts/:id/stats/activation/hourly', {
    ...read,
    schema: {
      tags,
      security,
      summary: 'Activation per hour of one day: senders within the hour, messages, by type',
      description: `${csvNote}. ${keptNote}`,
      params: AccountParams,
      querystring: HourlyQuery,
      response: { 200: ItemsOf(ActivationHourItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answerFromRollups(
        request,
        reply,
        async () => ({ items: await stats.activationByHour(request.accountAccess.account.id, request.query.date ?? stats.today()) }),
        itemsOf(ActivationHourItem, ['refDate', 'refHour', 'msgUser', 'msgCount']),
      ),
  });

  app.get('/v1/accounts/:id/stats/reads/hourly', {
    ...read,
    schema: {
      tags,
      security,
      summary: "The account's article engagement per hour of one day, with reads by source and shares by scene",
      description: `${csvNote}. ${keptNote}`,
      params: AccountParams,
      querystring: HourlyQuery,
      response: { 200: ItemsOf(ReadHourItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answerFromRollups(
        request,
        reply,
        async () => ({ items: await stats.readsByHour(request.accountAccess.account.id, request.query.date ?? stats.today()) }),
        itemsOf(ReadHourItem, ['refDate', 'refHour', ...engagementColumns]),
      ),
  });
};
