import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccountParams, adminSecurity, problems } from '../../http/schemas.js';
import { createAnswerCache } from './stats.cache.js';
import { csvStream } from './stats.csv.js';
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
import type { StatsService } from './stats.service.js';

/** Whether the client asked for CSV: `?format=csv`, or an Accept that prefers text/csv (and no `format=json`). */
function wantsCsv(asked: { format?: string; accept?: string }): boolean {
  if (asked.format !== undefined) return asked.format === 'csv';
  return /(^|,)\s*text\/csv\b/.test(asked.accept ?? '');
}

/**
 * Sends `rows` as {items} or, when asked, as CSV with these columns (nested lists such as userSource are JSON only).
 * CSV is streamed and goes around the JSON serializer, so its rows are the same objects.
 */
function answer<Row extends object>(request: FastifyRequest, reply: FastifyReply, rows: Row[], csvColumns: string[]) {
  return wantsCsvFrom(request) ? sendCsv(reply, csvColumns, rows) : { items: rows };
}

const wantsCsvFrom = (request: FastifyRequest) => wantsCsv({ format: (request.query as { format?: string }).format, accept: request.headers.accept });

function sendCsv<Row extends object>(reply: FastifyReply, columns: string[], rows: Row[]) {
  return reply.type('text/csv; charset=utf-8').header('content-disposition', 'inline').send(csvStream(columns, rows as Array<Record<string, unknown>>));
}

/** The size of the kept answers, per process: a year of daily reads or articles is about half a megabyte of JSON. */
const ANSWER_CACHE_BYTES = 64 * 1024 * 1024;

/** Whether the client asked for a freshly computed answer (`Cache-Control: no-cache`), not a kept one. */
const wantsFresh = (request: FastifyRequest) => /(^|,)\s*no-cache\b/i.test(request.headers['cache-control'] ?? '');

export const statsRoutes: FastifyPluginAsyncTypebox<{ stats: StatsService }> = async (app, { stats }) => {
  const tags = ['statistics'];
  const security = adminSecurity;
  const read = { onRequest: app.authenticate, preHandler: app.authorizeAccount('stats:read') };
  const csvNote = 'JSON `{items}`, or CSV with a header line when `format=csv` or `Accept: text/csv`';
  // Said by the routes answered with answerFromRollups.
  const keptNote = "The JSON is kept until the account's statistics change (a fold of its new events); `Cache-Control: no-cache` computes it afresh.";
  const cache = createAnswerCache(ANSWER_CACHE_BYTES);

  /**
   * `answer` for figures computed from the rollups alone: the JSON is kept and sent again while the version of the
   * account's rollups holds, so it is as live as a fresh computation (`compute` reads the rollups after the version is
   * read). The key is the URL as asked on the day asked (a route's default day is today).
   */
  async function answerFromRollups<Payload extends object>(
    request: FastifyRequest,
    reply: FastifyReply,
    compute: () => Promise<Payload>,
    csv: { columns: string[]; rows: (payload: Payload) => object[] },
  ) {
    if (wantsCsvFrom(request)) return sendCsv(reply, csv.columns, csv.rows(await compute()));
    const key = `${stats.today()} ${request.url}`;
    const version = await stats.rollupVersion(request.accountAccess.account.id);
    let body = wantsFresh(request) ? undefined : cache.get(key, version);
    if (!body) {
      // The route's own serializer (its response schema), as for any other answer.
      body = Buffer.from(reply.serialize(await compute()) as string);
      cache.set(key, version, body);
    }
    return reply.type('application/json; charset=utf-8').send(body);
  }

  /** The CSV of an answer `{items}`: its items, with these columns. */
  const csvOfItems = <Row extends object>(columns: string[]) => ({ columns, rows: (payload: { items: Row[] }) => payload.items });

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
      answerFromRollups(
        request,
        reply,
        async () => ({ items: await stats.followers(request.accountAccess.account.id, request.query) }),
        csvOfItems(['refDate', 'newUser', 'cancelUser', 'netUser', 'cumulateUser']),
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
        csvOfItems(['scene', 'newUser', 'cancelUser']),
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
      answerFromRollups(
        request,
        reply,
        async () => ({ items: await stats.activation(request.accountAccess.account.id, request.query) }),
        csvOfItems(['refDate', 'msgUser', 'msgCount', 'avgPerUser', 'distribution.0', 'distribution.1-5', 'distribution.6-10', 'distribution.>10']),
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
      answerFromRollups(
        request,
        reply,
        async () => ({ items: await stats.articles(request.accountAccess.account.id, request.query) }),
        csvOfItems(['refDate', 'msgDataId', 'articleIndex', 'title', ...engagementColumns]),
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
      answer(request, reply, await stats.articleTotals(request.accountAccess.account.id, request.params.msgDataId), [
        'refDate',
        'articleIndex',
        'title',
        'targetUser',
        ...engagementColumns,
      ]),
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
        csvOfItems(['refDate', 'refHour', 'articleIndex', 'title', ...engagementColumns]),
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
      answerFromRollups(request, reply, async () => ({ items: await stats.reads(request.accountAccess.account.id, request.query) }), csvOfItems(['refDate', ...engagementColumns])),
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
      answerFromRollups(request, reply, () => stats.attributes(request.accountAccess.account.id, request.query), csvOfItems(['attribute', 'value', 'followers', 'share'])),
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
        csvOfItems(['refDate', 'refHour', 'msgUser', 'msgCount']),
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
        csvOfItems(['refDate', 'refHour', ...engagementColumns]),
      ),
  });
};
