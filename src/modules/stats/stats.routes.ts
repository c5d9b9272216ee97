import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccountParams, adminSecurity, problems } from '../../http/schemas.js';
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

export const statsRoutes: FastifyPluginAsyncTypebox<{ stats: StatsService }> = async (app, { stats }) => {
  const tags = ['statistics'];
  const security = adminSecurity;
  const read = { onRequest: app.authenticate, preHandler: app.authorizeAccount('stats:read') };
  const csvNote = 'JSON `{items}`, or CSV with a header line when `format=csv` or `Accept: text/csv`';

  app.get('/v1/accounts/:id/stats/followers', {
    ...read,
    schema: {
      tags,
      security,
      summary: 'Follower growth: new, cancelled, net and cumulative followers per period, by scene',
      description: csvNote,
      params: AccountParams,
      querystring: StatsQuery,
      response: { 200: ItemsOf(FollowerGrowthItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answer(request, reply, await stats.followers(request.accountAccess.account.id, request.query), ['refDate', 'newUser', 'cancelUser', 'netUser', 'cumulateUser']),
  });

  app.get('/v1/accounts/:id/stats/activation', {
    ...read,
    schema: {
      tags,
      security,
      summary: 'Activation: followers who sent messages, messages, average per sender, by type, and senders by messages sent',
      description: csvNote,
      params: AccountParams,
      querystring: StatsQuery,
      response: { 200: ItemsOf(ActivationItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answer(request, reply, await stats.activation(request.accountAccess.account.id, request.query), [
        'refDate',
        'msgUser',
        'msgCount',
        'avgPerUser',
        'distribution.0',
        'distribution.1-5',
        'distribution.6-10',
        'distribution.>10',
      ]),
  });

  const engagementColumns = ['intPageReadUser', 'intPageReadCount', 'oriPageReadUser', 'oriPageReadCount', 'shareUser', 'shareCount', 'addToFavUser', 'addToFavCount'];

  app.get('/v1/accounts/:id/stats/articles', {
    ...read,
    schema: {
      tags,
      security,
      summary: 'Article engagement per day and article: page readers and reads, original-link readers and reads, sharers and shares, favourites',
      description: `${csvNote}. Per day only (granularity=day).`,
      params: AccountParams,
      querystring: StatsQuery,
      response: { 200: ItemsOf(ArticleDayItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answer(request, reply, await stats.articles(request.accountAccess.account.id, request.query), ['refDate', 'msgDataId', 'articleIndex', 'title', ...engagementColumns]),
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
      description: csvNote,
      params: ArticleParams,
      querystring: HourlyQuery,
      response: { 200: ItemsOf(ArticleHourItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const { msgDataId } = request.params;
      const items = await stats.articleByHour(request.accountAccess.account.id, msgDataId, request.query.date ?? stats.today());
      return answer(request, reply, items, ['refDate', 'refHour', 'articleIndex', 'title', ...engagementColumns]);
    },
  });

  app.get('/v1/accounts/:id/stats/reads', {
    ...read,
    schema: {
      tags,
      security,
      summary: "The account's article engagement per day, with reads by source and shares by scene",
      description: `${csvNote}. Per day only (granularity=day).`,
      params: AccountParams,
      querystring: StatsQuery,
      response: { 200: ItemsOf(ReadDayItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) => answer(request, reply, await stats.reads(request.accountAccess.account.id, request.query), ['refDate', ...engagementColumns]),
  });

  app.get('/v1/accounts/:id/stats/attributes', {
    ...read,
    schema: {
      tags,
      security,
      summary: 'Followers by gender, language, country, province and city, now or at the end of a past day',
      description: `${csvNote} (the items).`,
      params: AccountParams,
      querystring: AttributesQuery,
      response: { 200: AttributesAnswer, ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const answered = await stats.attributes(request.accountAccess.account.id, request.query);
      return wantsCsvFrom(request) ? sendCsv(reply as FastifyReply, ['attribute', 'value', 'followers', 'share'], answered.items) : answered;
    },
  });

  app.get('/v1/accounts/:id/stats/activation/hourly', {
    ...read,
    schema: {
      tags,
      security,
      summary: 'Activation per hour of one day: senders within the hour, messages, by type',
      description: csvNote,
      params: AccountParams,
      querystring: HourlyQuery,
      response: { 200: ItemsOf(ActivationHourItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answer(request, reply, await stats.activationByHour(request.accountAccess.account.id, request.query.date ?? stats.today()), ['refDate', 'refHour', 'msgUser', 'msgCount']),
  });

  app.get('/v1/accounts/:id/stats/reads/hourly', {
    ...read,
    schema: {
      tags,
      security,
      summary: "The account's article engagement per hour of one day, with reads by source and shares by scene",
      description: csvNote,
      params: AccountParams,
      querystring: HourlyQuery,
      response: { 200: ItemsOf(ReadHourItem), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      answer(request, reply, await stats.readsByHour(request.accountAccess.account.id, request.query.date ?? stats.today()), ['refDate', 'refHour', ...engagementColumns]),
  });
};
