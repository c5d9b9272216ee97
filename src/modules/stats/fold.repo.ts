import { sql, type SQL } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.js';
import { COMBINED_TYPE_USER_COLUMNS, ENGAGEMENT_COLUMNS, MESSAGE_TYPE_COLUMNS, SENDER_HOURS_COLUMNS, SENDER_TYPE_COLUMNS } from '../../db/schema/stats.js';
import { ENGAGEMENT_ACTIONS, MESSAGE_TYPES, WECHAT_COMBINED_TYPES, type MessageType, type WechatCombinedType } from '../followers/wechat-constants.js';

/**
 * Folding the append-only event tables into the statistics rollups (src/db/schema/stats.ts). Each fold is one
 * transaction that reads the next events by id, adds them to the rollups and moves the cursor, so every event is
 * counted exactly once whatever process dies when. Only the worker (and `stats:rebuild`) folds; several workers take
 * turns (the cursor row is locked, and a busy cursor is skipped).
 */

/** The event tables folded, each with its own cursor. */
export const STATS_SOURCES = ['follow_events', 'messages', 'article_engagements'] as const;
export type StatsSource = (typeof STATS_SOURCES)[number];

/** WeChat's buckets of messages sent per follower (getupstreammsgdist's count_interval 1, 2, 3). */
const bucketOf = (count: SQL) => sql`CASE WHEN ${count} = 0 THEN 0 WHEN ${count} <= 5 THEN 1 WHEN ${count} <= 10 THEN 2 ELSE 3 END`;

/**
 * Where a sender's count per period stops (stats_period_senders): the figures need only whether a sender sent any,
 * and their bucket, whose last is "more than 10". A chatty sender's rows then stop changing after their 11th message
 * of the period, and cost the fold a read instead of a write.
 */
const SENDER_COUNT_CAP = sql.raw('11');
const capped = (count: SQL) => sql`least(${count}, ${SENDER_COUNT_CAP})`;

/**
 * Per message type: its count and hours columns in stats_period_senders, and the names the fold gives its counts and
 * hours added by the batch and kept before it.
 */
const TYPE_COLUMNS = MESSAGE_TYPES.map((type) => ({
  type,
  column: sql.identifier(SENDER_TYPE_COLUMNS[type]),
  added: sql.identifier(`added_${type}`),
  before: sql.identifier(`before_${type}`),
  hoursColumn: sql.identifier(SENDER_HOURS_COLUMNS[type]),
  addedHours: sql.identifier(`added_hours_${type}`),
  beforeHours: sql.identifier(`before_hours_${type}`),
}));
const columnsOf = (type: MessageType) => TYPE_COLUMNS.find((columns) => columns.type === type)!;
const bitOr = (masks: SQL[]) => sql.join(masks, sql` | `);

/**
 * The week and the month of the date `day`, as (period, period_start) rows of a VALUES list: an ISO week from its
 * Monday, a month from its first. Said once, so the senders' periods and the periods' totals always agree.
 */
const weekAndMonthOf = (day: SQL) => sql`('week', date_trunc('week', ${day})::date), ('month', date_trunc('month', ${day})::date)`;

/** Each type's messages among the events grouped (per hour, or per sender and day), as `added_<type>`. */
const TYPE_COUNTS = sql.join(
  TYPE_COLUMNS.map(({ type, added }) => sql`count(*) FILTER (WHERE msg_type = ${type})::int AS ${added}`),
  sql`, `,
);

/** Each type's count added by the batch, summed over the rows grouped (`added_<type>`, as they are named throughout). */
const SUMMED_TYPE_COUNTS = sql.join(
  TYPE_COLUMNS.map(({ added }) => sql`sum(${added})::int AS ${added}`),
  sql`, `,
);

/** The hours a sender's day row gains from the batch, in any type (null on a week or month row, which keeps none). */
const TYPE_HOURS_GAINED = bitOr(TYPE_COLUMNS.map(({ addedHours, beforeHours }) => sql`(${addedHours} & ~${beforeHours})`));

/** How a fold's per-hour figures (users new to the hour, events) are added to stats_hourly (aliased `h`). */
const ADD_TO_HOURLY = sql`ON CONFLICT (account_id, day, hour, metric, key) DO UPDATE SET users = h.users + excluded.users, count = h.count + excluded.count`;

/**
 * The keys messages are counted under per hour (stats_hourly, metric 'msg'): 'all', each type, WeChat's combined
 * types. Per key: its messages in an hour's totals of the batch (`t`), and a sender's hours with the key on their day
 * row (`c`), added by the batch and before it (a combined type's are its members' together).
 */
const HOURLY_KEYS: Array<{ key: string; count: SQL; addedHours: SQL; beforeHours: SQL }> = [
  {
    key: 'all',
    count: sql`t.n`,
    addedHours: bitOr(TYPE_COLUMNS.map(({ addedHours }) => sql`c.${addedHours}`)),
    beforeHours: bitOr(TYPE_COLUMNS.map(({ beforeHours }) => sql`c.${beforeHours}`)),
  },
  ...TYPE_COLUMNS.map(({ type, added, addedHours, beforeHours }) => ({ key: type, count: sql`t.${added}`, addedHours: sql`c.${addedHours}`, beforeHours: sql`c.${beforeHours}` })),
  ...Object.entries(WECHAT_COMBINED_TYPES).map(([key, members]) => ({
    key,
    count: sql.join(members.map((member) => sql`t.${columnsOf(member).added}`), sql` + `),
    addedHours: bitOr(members.map((member) => sql`c.${columnsOf(member).addedHours}`)),
    beforeHours: bitOr(members.map((member) => sql`c.${columnsOf(member).beforeHours}`)),
  })),
];

/**
 * The hours set in the mask `hours` (bit h for hour h), one row each as `g.hour`; none, without a look at the hours,
 * when it is 0: for a lateral join from the rows whose day gained hours. OFFSET 0 keeps it a subquery run per row:
 * pulled up into the join, it let PostgreSQL loop over the 24 hours outside and scan an engagement batch's readers
 * once per hour.
 */
const hoursIn = (hours: SQL) => sql`(SELECT hour FROM generate_series(0, 23) AS hour WHERE ${hours} <> 0 AND ${hours} & (1 << hour) <> 0 OFFSET 0) AS g`;

/** The counts and hours a sender's rows gain from the batch (`added_<type>`, `added_hours_<type>`) of the row aliased `from`. */
const addedColumns = (from: SQL) =>
  sql.join([...TYPE_COLUMNS.map(({ added }) => sql`${from}.${added}`), ...TYPE_COLUMNS.map(({ addedHours }) => sql`${from}.${addedHours}`)], sql`, `);

/**
 * Joins to each row of `row` (a sender's period: account_id, wechat_user_id, and the period's kind and first day given)
 * that sender's stats_period_senders row as `s`, if any. Looked up by primary key, sender by sender (LIMIT 1): as a
 * plain join PostgreSQL preferred to hash the whole table (every account's senders of every period), which cost a
 * 100-message fold three times what the lookups do. The fold is the only writer of these rows (it holds the cursor),
 * so what the statement read is what it overwrites.
 */
const senderRow = (row: SQL, period: SQL, periodStart: SQL) => sql`LEFT JOIN LATERAL (
        SELECT * FROM stats_period_senders s
        WHERE s.account_id = ${row}.account_id AND s.period = ${period} AND s.period_start = ${periodStart} AND s.wechat_user_id = ${row}.wechat_user_id
        LIMIT 1) s ON true`;

/**
 * A sender's counts and hours in their stats_period_senders row (senderRow's `s`) before the batch: `n_before`,
 * `before_<type>`, `before_hours_<type>`, 0 where there is no row (a new sender).
 */
const SENDER_BEFORE = sql.join(
  [
    sql`coalesce(s.msg_count, 0) AS n_before`,
    ...TYPE_COLUMNS.map(({ column, before }) => sql`coalesce(s.${column}, 0) AS ${before}`),
    ...TYPE_COLUMNS.map(({ hoursColumn, beforeHours }) => sql`coalesce(s.${hoursColumn}, 0) AS ${beforeHours}`),
  ],
  sql`, `,
);

/**
 * Whether a sender's day (a row of day_counted) was settled before the batch: at the cap in all and in every type the
 * batch adds to. Such a day moves no sender figure, of the day or of its week and month: those were at the cap in the
 * same types (they count all the day's messages and more), so the sender is new to no period or type, no bucket moves
 * and no capped count changes. A settled day is left out of `counted` (but for the hours it may gain) and out of its
 * week and month's sums, and the messages it adds are summed from the batch's hours (period_totals). In the steady
 * state of a chatty account most senders are settled, and each then costs one lookup (their day), not three. The
 * count in all is checked too, though an added type's implies it: a message of a type outside MESSAGE_TYPES (no
 * constraint refuses one) adds to the count in all alone.
 */
const SETTLED = sql`n_before >= ${SENDER_COUNT_CAP} AND ${sql.join(
  TYPE_COLUMNS.map(({ added, before }) => sql`(${added} = 0 OR ${before} >= ${SENDER_COUNT_CAP})`),
  sql` AND `,
)}`;

/**
 * What the fold adds to each column of a period's stats_message_periods row, in two parts.
 *
 * From the senders (`counted`: one row per sender and period whose figures may move, with the sender's counts added
 * by the batch and kept before it), grouped by period: a sender is new to the period, to a type, or to a WeChat
 * combined type when their count there was 0 before (capped counts are 0 exactly when true ones are, and so are their
 * sums); the buckets move by the sender's count in all before and after. A settled sender (SETTLED) moves none of
 * these, so `counted` leaves them out.
 *
 * From the batch's totals (TOTAL_FIGURES): the messages, which every sender adds to, settled or not.
 */
const SENDER_FIGURES: Array<[column: string, added: SQL]> = [
  ['msg_user', sql`count(*) FILTER (WHERE n_before = 0)`],
  ...(['senders_1_to_5', 'senders_6_to_10', 'senders_over_10'] as const).map((column, index): [string, SQL] => {
    const bucket = sql.raw(String(index + 1));
    return [column, sql`count(*) FILTER (WHERE ${bucketOf(capped(sql`n_before + n`))} = ${bucket}) - count(*) FILTER (WHERE ${bucketOf(sql`n_before`)} = ${bucket})`];
  }),
  ...TYPE_COLUMNS.map(({ type, added, before }): [string, SQL] => [MESSAGE_TYPE_COLUMNS[type].users, sql`count(*) FILTER (WHERE ${added} > 0 AND ${before} = 0)`]),
  ...Object.entries(WECHAT_COMBINED_TYPES).map(([key, members]): [string, SQL] => {
    const sum = (counts: SQL[]) => sql.join(counts, sql` + `);
    const added = sum(members.map((member) => sql`${columnsOf(member).added}`));
    const before = sum(members.map((member) => sql`${columnsOf(member).before}`));
    return [COMBINED_TYPE_USER_COLUMNS[key as WechatCombinedType], sql`count(*) FILTER (WHERE ${added} > 0 AND ${before} = 0)`];
  }),
];
/** The columns of the batch's totals per period (`period_totals`, aliased `t`): messages in all and of each type. */
const TOTAL_FIGURES: Array<[column: string, added: SQL]> = [
  ['msg_count', sql`t.n`],
  ...TYPE_COLUMNS.map(({ type, added }): [string, SQL] => [MESSAGE_TYPE_COLUMNS[type].count, sql`t.${added}`]),
];
const SENDER_COLUMNS = SENDER_FIGURES.map(([column]) => sql.identifier(column));
const PERIOD_COLUMNS = [...SENDER_FIGURES, ...TOTAL_FIGURES].map(([column]) => sql.identifier(column));

/**
 * Adds the events that `rows` selects (a condition on the source table) to the rollups, with days in `timezone`.
 * Messages count in their day, ISO week and month, and in their hour, in all, under their type and under WeChat's
 * combined type if any; a sender is new in a period or hour (and type) the first time they appear, and the buckets
 * move by the sender's count before and after.
 */
export async function foldEvents(db: Executor, source: StatsSource, rows: SQL, timezone: string): Promise<void> {
  if (source === 'article_engagements') {
    await foldEngagements(db, rows, timezone);
    return;
  }
  if (source === 'follow_events') {
    await db.execute(sql`
      WITH per_scene AS (
        SELECT account_id, (occurred_at AT TIME ZONE ${timezone})::date AS day, scene,
               count(*) FILTER (WHERE kind = 'subscribe')::int AS follows, count(*) FILTER (WHERE kind = 'unsubscribe')::int AS unfollows
        FROM follow_events WHERE ${rows}
        GROUP BY 1, 2, 3
      )
      INSERT INTO stats_follow_daily AS d (account_id, day, new_user, cancel_user, by_scene)
      SELECT account_id, day, sum(follows), sum(unfollows), jsonb_object_agg(scene, jsonb_build_array(follows, unfollows))
      FROM per_scene GROUP BY 1, 2
      ON CONFLICT (account_id, day) DO UPDATE
      SET new_user = d.new_user + excluded.new_user, cancel_user = d.cancel_user + excluded.cancel_user,
          by_scene = (
            SELECT jsonb_object_agg(key, jsonb_build_array(follows, unfollows)) FROM (
              SELECT key, sum((value->>0)::int) AS follows, sum((value->>1)::int) AS unfollows
              FROM (SELECT * FROM jsonb_each(d.by_scene) UNION ALL SELECT * FROM jsonb_each(excluded.by_scene)) AS scenes
              GROUP BY key) AS merged)`);
    // Attributes per day, and the same sums per month (what the reads of a date add up, with the days of its own
    // month), from one pass over the events.
    await db.execute(sql`
      WITH per_day AS (
        SELECT e.account_id, (e.occurred_at AT TIME ZONE ${timezone})::date AS day, a.attribute, a.value,
               sum(CASE WHEN e.kind = 'subscribe' THEN 1 ELSE -1 END)::int AS delta
        FROM (SELECT account_id, wechat_user_id, kind, occurred_at FROM follow_events WHERE ${rows}) e
        -- Each follower looked up by id (OFFSET 0 keeps the subquery from being pulled up into a join): joined,
        -- a batch of a few thousand events was planned as a hash join over every row of wechat_users, a cost
        -- that grows with the users of every account, not with the batch (170 ms a fold at 1.1 million users).
        CROSS JOIN LATERAL (SELECT gender, language, country, province, city FROM wechat_users WHERE id = e.wechat_user_id OFFSET 0) u
        CROSS JOIN LATERAL (VALUES
          ('gender', CASE u.gender WHEN 1 THEN 'male' WHEN 2 THEN 'female' ELSE 'unknown' END),
          ('language', coalesce(nullif(u.language, ''), 'unknown')),
          ('country', coalesce(nullif(u.country, ''), 'unknown')),
          ('province', coalesce(nullif(u.province, ''), 'unknown')),
          ('city', coalesce(nullif(u.city, ''), 'unknown'))) AS a(attribute, value)
        GROUP BY 1, 2, 3, 4
      ), days AS (
        INSERT INTO stats_attribute_daily AS d (account_id, day, attribute, value, delta)
        SELECT account_id, day, attribute, value, delta FROM per_day
        ON CONFLICT (account_id, day, attribute, value) DO UPDATE SET delta = d.delta + excluded.delta
      )
      INSERT INTO stats_attribute_monthly AS m (account_id, month_start, attribute, value, delta)
      SELECT account_id, date_trunc('month', day::timestamp)::date, attribute, value, sum(delta)::int FROM per_day GROUP BY 1, 2, 3, 4
      ON CONFLICT (account_id, month_start, attribute, value) DO UPDATE SET delta = m.delta + excluded.delta`);
    return;
  }
  await db.execute(sql`
    WITH events AS (
      SELECT account_id, (occurred_at AT TIME ZONE ${timezone})::date AS day, extract(hour FROM occurred_at AT TIME ZONE ${timezone})::int AS hour,
             msg_type, wechat_user_id
      FROM messages WHERE ${rows}
    ), hour_totals AS (
      -- Per hour: messages in all, and of each type.
      SELECT account_id, day, hour, count(*)::int AS n, ${TYPE_COUNTS} FROM events GROUP BY 1, 2, 3
    ), per_day AS (
      -- Per sender and day: the same, and the hours of the day with messages of each type.
      SELECT account_id, day, wechat_user_id, count(*)::int AS n, ${TYPE_COUNTS},
             ${sql.join(TYPE_COLUMNS.map(({ type, addedHours }) => sql`coalesce(bit_or(1 << hour) FILTER (WHERE msg_type = ${type}), 0) AS ${addedHours}`), sql`, `)}
      FROM events
      GROUP BY 1, 2, 3
    ), day_counted AS (
      -- Per sender and day, with the sender's day row as it was before the batch (see senderRow, SENDER_BEFORE).
      SELECT d.account_id, 'day' AS period, d.day AS period_start, d.wechat_user_id, d.n, ${addedColumns(sql`d`)}, ${SENDER_BEFORE}
      FROM per_day d ${senderRow(sql`d`, sql`'day'`, sql`d.day`)}
    ), period_added AS (
      -- Per sender, week and month: their unsettled days summed (each day's week and month worked out once, not per
      -- message). Hours are kept on day rows only.
      SELECT d.account_id, p.period, p.period_start, d.wechat_user_id, sum(d.n)::int AS n, ${SUMMED_TYPE_COUNTS},
             ${sql.join(TYPE_COLUMNS.map(({ addedHours }) => sql`NULL::int AS ${addedHours}`), sql`, `)}
      FROM day_counted d
      CROSS JOIN LATERAL (VALUES ${weekAndMonthOf(sql`d.period_start`)}) AS p(period, period_start)
      WHERE NOT (${SETTLED})
      GROUP BY 1, 2, 3, 4
    ), counted AS (
      -- The senders' days, weeks and months that may move a figure or a row, with their counts and hours before the
      -- batch: the unsettled days and their weeks and months, and the settled days that gain hours.
      SELECT * FROM day_counted WHERE NOT (${SETTLED}) OR ${TYPE_HOURS_GAINED} <> 0
      UNION ALL
      SELECT a.account_id, a.period, a.period_start, a.wechat_user_id, a.n, ${addedColumns(sql`a`)}, ${SENDER_BEFORE}
      FROM period_added a ${senderRow(sql`a`, sql`a.period`, sql`a.period_start`)}
    ), kept AS (
      -- Written only where a count or an hour moves: a sender past the cap in every type the batch added, in hours
      -- already kept, costs no write.
      INSERT INTO stats_period_senders AS s (account_id, period, period_start, wechat_user_id, msg_count,
                                             ${sql.join(TYPE_COLUMNS.map(({ column }) => column), sql`, `)}, ${sql.join(TYPE_COLUMNS.map(({ hoursColumn }) => hoursColumn), sql`, `)})
      SELECT account_id, period, period_start, wechat_user_id, ${capped(sql`n_before + n`)},
             ${sql.join(TYPE_COLUMNS.map(({ added, before }) => capped(sql`${before} + ${added}`)), sql`, `)},
             ${sql.join(TYPE_COLUMNS.map(({ addedHours, beforeHours }) => sql`${beforeHours} | ${addedHours}`), sql`, `)}
      FROM counted
      WHERE n_before < ${SENDER_COUNT_CAP} OR ${sql.join(TYPE_COLUMNS.map(({ added, before }) => sql`(${added} > 0 AND ${before} < ${SENDER_COUNT_CAP})`), sql` OR `)}
         OR coalesce(${TYPE_HOURS_GAINED}, 0) <> 0
      ON CONFLICT (account_id, period, period_start, wechat_user_id) DO UPDATE
      SET msg_count = excluded.msg_count, ${sql.join(TYPE_COLUMNS.map(({ column }) => sql`${column} = excluded.${column}`), sql`, `)},
          ${sql.join(TYPE_COLUMNS.map(({ hoursColumn }) => sql`${hoursColumn} = excluded.${hoursColumn}`), sql`, `)}
    ), hourly AS (
      -- Per hour and key: messages, and the senders new to the hour (the hours their day row gains for the key).
      INSERT INTO stats_hourly AS h (account_id, day, hour, metric, key, users, count)
      SELECT account_id, day, hour, 'msg', key, sum(users)::int, sum(count)::int FROM (
        SELECT t.account_id, t.day, t.hour, k.key, 0 AS users, k.count
        FROM hour_totals AS t
        CROSS JOIN LATERAL (VALUES ${sql.join(
          HOURLY_KEYS.map(({ key, count }) => sql`(${key}, ${count})`),
          sql`, `,
        )}) AS k(key, count)
        WHERE k.count > 0
        UNION ALL
        SELECT c.account_id, c.period_start, g.hour, k.key, 1, 0
        FROM counted c
        CROSS JOIN LATERAL (VALUES ${sql.join(
          HOURLY_KEYS.map(({ key, addedHours, beforeHours }) => sql`(${key}, (${addedHours}) & ~(${beforeHours}))`),
          sql`, `,
        )}) AS k(key, gained)
        CROSS JOIN LATERAL ${hoursIn(sql`k.gained`)}
        WHERE c.period = 'day' AND ${TYPE_HOURS_GAINED} <> 0
      ) AS deltas
      GROUP BY 1, 2, 3, 5
      ${ADD_TO_HOURLY}
    ), period_totals AS (
      -- Per day, week and month: the messages, from the hours' totals.
      SELECT h.account_id, p.period, p.period_start, sum(h.n)::int AS n, ${SUMMED_TYPE_COUNTS}
      FROM hour_totals h
      CROSS JOIN LATERAL (VALUES ('day', h.day), ${weekAndMonthOf(sql`h.day`)}) AS p(period, period_start)
      GROUP BY 1, 2, 3
    ), sender_figures AS (
      SELECT account_id, period, period_start, ${sql.join(
        SENDER_FIGURES.map(([column, added]) => sql`${added} AS ${sql.identifier(column)}`),
        sql`, `,
      )}
      FROM counted GROUP BY 1, 2, 3
    )
    -- One row per period: its senders, messages and buckets, in all, by type and by WeChat combined type.
    INSERT INTO stats_message_periods AS m (account_id, period, period_start, ${sql.join(PERIOD_COLUMNS, sql`, `)})
    SELECT t.account_id, t.period, t.period_start,
           ${sql.join(SENDER_COLUMNS.map((column) => sql`coalesce(f.${column}, 0)`), sql`, `)}, ${sql.join(TOTAL_FIGURES.map(([, total]) => total), sql`, `)}
    FROM period_totals t LEFT JOIN sender_figures f USING (account_id, period, period_start)
    ON CONFLICT (account_id, period, period_start) DO UPDATE
    SET ${sql.join(PERIOD_COLUMNS.map((column) => sql`${column} = m.${column} + excluded.${column}`), sql`, `)}`);
}

/** A figure the engagement rollups keep per action: users that day, events, users new to the article (articles only). */
type EngagementFigure = 'users' | 'count' | 'firstUsers';

/** Per engagement action: its columns of each figure in stats_article_days and stats_read_days. */
const ACTION_COLUMNS = ENGAGEMENT_ACTIONS.map((action) => ({
  action,
  users: sql.identifier(ENGAGEMENT_COLUMNS[action].users),
  count: sql.identifier(ENGAGEMENT_COLUMNS[action].count),
  firstUsers: sql.identifier(ENGAGEMENT_COLUMNS[action].firstUsers),
}));

/** The fold's per-action deltas name their figures so (one row per action, as the per-user tables are kept). */
const DELTA_COLUMNS: Record<EngagementFigure, SQL> = { users: sql`users`, count: sql`count`, firstUsers: sql`first_users` };

/**
 * The parts of an upsert that adds per-action deltas (rows with an `action` and DELTA_COLUMNS, grouped by the
 * target's key) to the target row's columns of every action: the column list, the sums in its order, and the SET.
 */
function engagementUpsert(target: SQL, figures: EngagementFigure[]) {
  const each = <Part>(part: (columns: (typeof ACTION_COLUMNS)[number], figure: EngagementFigure) => Part) =>
    ACTION_COLUMNS.flatMap((columns) => figures.map((figure) => part(columns, figure)));
  return {
    columns: sql.join(
      each((columns, figure) => columns[figure]),
      sql`, `,
    ),
    sums: sql.join(
      each(({ action }, figure) => sql`coalesce(sum(${DELTA_COLUMNS[figure]}) FILTER (WHERE action = ${action}), 0)::int`),
      sql`, `,
    ),
    added: sql.join(
      each((columns, figure) => sql`${columns[figure]} = ${target}.${columns[figure]} + excluded.${columns[figure]}`),
      sql`, `,
    ),
  };
}
const articleFigures = engagementUpsert(sql`d`, ['users', 'count', 'firstUsers']);
const channelFigures = engagementUpsert(sql`r`, ['users', 'count']);

/**
 * Article engagements: per article and day, for each action, the events, the users new that day and the users new
 * to the article (first_users, whose running sum is the article's users to date); per account, day and channel
 * (where the article was opened; 'scene:<scene>' for where a share went; 'all'), for each action, the events and the
 * users new that day; and both per hour (stats_hourly: metric the action, key the channel; metric 'article:<action>',
 * key '<msg_data_id>/<index>'). One row per article and day (and per day and channel) holds every action, so a year's
 * read takes its rows as they are; the per-user tables that make users exact stay one row per action, and each row
 * holds the hours of its day the user engaged in, so users per hour are exact from the same lookup.
 */
async function foldEngagements(db: Executor, rows: SQL, timezone: string): Promise<void> {
  // The hours a user's day row gains in this batch (those of the batch it did not have), one row each: `g.hour`.
  const gainedHours = (row: SQL) => hoursIn(sql`(${row}.hours & ~coalesce(${row}.hours_before, 0))`);
  await db.execute(sql`
    WITH events AS (
      SELECT account_id, msg_data_id, article_index, action::text AS action,
             source, share_scene, wechat_user_id,
             (occurred_at AT TIME ZONE ${timezone})::date AS day, extract(hour FROM occurred_at AT TIME ZONE ${timezone})::int AS hour
      FROM article_engagements WHERE ${rows}
    ), article_hours AS (
      SELECT account_id, msg_data_id, article_index, day, hour, action, wechat_user_id, count(*)::int AS n FROM events GROUP BY 1, 2, 3, 4, 5, 6, 7
    ), per_user AS (
      SELECT account_id, msg_data_id, article_index, day, action, wechat_user_id, sum(n)::int AS n, bit_or(1 << hour) AS hours
      FROM article_hours GROUP BY 1, 2, 3, 4, 5, 6
    ), per_user_kept AS (
      -- With the hours the user had engaged with the article that day before the batch (null: not yet that day). The
      -- fold is the only writer of these rows (it holds the cursor), so what this statement read is what it writes.
      SELECT p.*, k.hours AS hours_before
      FROM per_user p LEFT JOIN LATERAL (
        SELECT k.hours FROM stats_article_day_users k
        WHERE k.account_id = p.account_id AND k.msg_data_id = p.msg_data_id AND k.article_index = p.article_index
          AND k.day = p.day AND k.action = p.action AND k.wechat_user_id = p.wechat_user_id
        LIMIT 1) k ON true
    ), day_users_kept AS (
      -- Written only for a user new that day or in a new hour.
      INSERT INTO stats_article_day_users AS k (account_id, msg_data_id, article_index, day, action, wechat_user_id, hours)
      SELECT account_id, msg_data_id, article_index, day, action, wechat_user_id, coalesce(hours_before, 0) | hours
      FROM per_user_kept WHERE hours_before IS NULL OR hours & ~hours_before <> 0
      ON CONFLICT (account_id, msg_data_id, article_index, day, action, wechat_user_id) DO UPDATE SET hours = excluded.hours
    ), first_days AS (
      -- Each user's first day with the article in this batch, against the first day already kept (folds of one
      -- source never overlap, so this read is current). A batch may hold an earlier day than one folded before
      -- (ids do not follow occurred_at exactly): the first day moves back, and its count with it. Not looked up for
      -- a user who had a day row on each of their days in the batch already: their first day is no later.
      SELECT c.account_id, c.msg_data_id, c.article_index, c.action, c.wechat_user_id, c.day, u.first_day AS kept_day
      FROM (SELECT account_id, msg_data_id, article_index, action, wechat_user_id, min(day) AS day FROM per_user_kept
            GROUP BY 1, 2, 3, 4, 5 HAVING bool_or(hours_before IS NULL)) c
      LEFT JOIN stats_article_users u USING (account_id, msg_data_id, article_index, action, wechat_user_id)
    ), moved_first AS (
      SELECT * FROM first_days WHERE kept_day IS NULL OR day < kept_day
    ), first_kept AS (
      INSERT INTO stats_article_users AS u (account_id, msg_data_id, article_index, action, wechat_user_id, first_day)
      SELECT account_id, msg_data_id, article_index, action, wechat_user_id, day FROM moved_first
      ON CONFLICT (account_id, msg_data_id, article_index, action, wechat_user_id) DO UPDATE SET first_day = excluded.first_day
    ), article_deltas AS (
      SELECT account_id, msg_data_id, article_index, day, action, sum(n)::int AS count, count(*) FILTER (WHERE hours_before IS NULL)::int AS users, 0 AS first_users
      FROM per_user_kept GROUP BY 1, 2, 3, 4, 5
      UNION ALL
      SELECT account_id, msg_data_id, article_index, day, action, 0, 0, count(*)::int FROM moved_first GROUP BY 1, 2, 3, 4, 5
      UNION ALL
      SELECT account_id, msg_data_id, article_index, kept_day, action, 0, 0, -count(*)::int FROM moved_first WHERE kept_day IS NOT NULL GROUP BY 1, 2, 3, 4, 5
    ), articles AS (
      INSERT INTO stats_article_days AS d (account_id, msg_data_id, article_index, day, ${articleFigures.columns})
      SELECT account_id, msg_data_id, article_index, day, ${articleFigures.sums} FROM article_deltas GROUP BY 1, 2, 3, 4
      ON CONFLICT (account_id, msg_data_id, article_index, day) DO UPDATE SET ${articleFigures.added}
    ), channel_hours AS (
      SELECT e.account_id, e.day, e.hour, e.action, c.channel, e.wechat_user_id, count(*)::int AS n
      FROM events e CROSS JOIN LATERAL (VALUES (e.source), ('all'), ('scene:' || e.share_scene)) AS c(channel)
      WHERE c.channel IS NOT NULL
      GROUP BY 1, 2, 3, 4, 5, 6
    ), per_channel AS (
      SELECT account_id, day, action, channel, wechat_user_id, sum(n)::int AS n, bit_or(1 << hour) AS hours FROM channel_hours GROUP BY 1, 2, 3, 4, 5
    ), per_channel_kept AS (
      -- As per_user_kept, per channel.
      SELECT p.*, k.hours AS hours_before
      FROM per_channel p LEFT JOIN LATERAL (
        SELECT k.hours FROM stats_reads_day_users k
        WHERE k.account_id = p.account_id AND k.day = p.day AND k.action = p.action AND k.channel = p.channel AND k.wechat_user_id = p.wechat_user_id
        LIMIT 1) k ON true
    ), channel_users_kept AS (
      INSERT INTO stats_reads_day_users AS k (account_id, day, action, channel, wechat_user_id, hours)
      SELECT account_id, day, action, channel, wechat_user_id, coalesce(hours_before, 0) | hours
      FROM per_channel_kept WHERE hours_before IS NULL OR hours & ~hours_before <> 0
      ON CONFLICT (account_id, day, action, channel, wechat_user_id) DO UPDATE SET hours = excluded.hours
    ), hourly AS (
      -- Per hour, by channel and by article: events, and the users new to the hour (the hours their day row gains).
      INSERT INTO stats_hourly AS h (account_id, day, hour, metric, key, users, count)
      SELECT account_id, day, hour, metric, key, sum(users)::int, sum(count)::int FROM (
        SELECT account_id, day, hour, action AS metric, channel AS key, 0 AS users, n AS count FROM channel_hours
        UNION ALL
        SELECT account_id, day, hour, ${ARTICLE_HOURLY_PREFIX} || action, msg_data_id || '/' || article_index, 0, n FROM article_hours
        UNION ALL
        SELECT k.account_id, k.day, g.hour, k.action, k.channel, 1, 0
        FROM per_channel_kept k CROSS JOIN LATERAL ${gainedHours(sql`k`)}
        UNION ALL
        SELECT k.account_id, k.day, g.hour, ${ARTICLE_HOURLY_PREFIX} || k.action, k.msg_data_id || '/' || k.article_index, 1, 0
        FROM per_user_kept k CROSS JOIN LATERAL ${gainedHours(sql`k`)}
      ) AS deltas
      GROUP BY 1, 2, 3, 4, 5
      ${ADD_TO_HOURLY}
    ), channel_deltas AS (
      SELECT account_id, day, action, channel, sum(n)::int AS count, count(*) FILTER (WHERE hours_before IS NULL)::int AS users
      FROM per_channel_kept GROUP BY 1, 2, 3, 4
    )
    INSERT INTO stats_read_days AS r (account_id, day, channel, ${channelFigures.columns})
    SELECT account_id, day, channel, ${channelFigures.sums} FROM channel_deltas GROUP BY 1, 2, 3
    ON CONFLICT (account_id, day, channel) DO UPDATE SET ${channelFigures.added}`);
}

/** The hourly metric prefix of one article's engagement ('article:read' …), keyed by '<msg_data_id>/<index>'. */
export const ARTICLE_HOURLY_PREFIX = 'article:';

type Cursor = {
  lastId: number;
  blockedBelow: number | null;
  blockedBy: string[] | null;
  timezone: string;
};

/** What one fold did: events folded, and whether the source has more visible events past the batch. */
export interface FoldOutcome {
  folded: number;
  more: boolean;
  /** The id the fold stopped below: an earlier id is missing and not yet proven dead. */
  blockedBelow: number | null;
  /** The time zone of the cursor's rollups (the configured one until a rebuild says otherwise). */
  timezone: string;
}

const sourceTable = (source: StatsSource) => sql.identifier(source);

/** Creates a source's cursor at the start, its days in `timezone`, unless it exists. */
async function ensureCursor(tx: Executor, source: StatsSource, timezone: string): Promise<void> {
  await tx.execute(sql`INSERT INTO stats_cursors (source, timezone) VALUES (${source}, ${timezone}) ON CONFLICT (source) DO NOTHING`);
}

/** The transactions (virtual ids) other than this one that hold, or wait for, a write lock on the table. */
async function writersOf(tx: Executor, source: StatsSource): Promise<string[]> {
  const result = await tx.execute<{ vxid: string }>(sql`
    SELECT DISTINCT virtualtransaction AS vxid FROM pg_locks
    WHERE locktype = 'relation' AND relation = ${source}::regclass AND mode = 'RowExclusiveLock' AND pid IS DISTINCT FROM pg_backend_pid()`);
  return result.rows.map((row) => row.vxid);
}

/** Whether every one of these transactions has ended (a running transaction always holds its own virtualxid lock). */
async function allEnded(tx: Executor, vxids: string[]): Promise<boolean> {
  if (vxids.length === 0) return true;
  const result = await tx.execute(sql`SELECT 1 FROM pg_locks WHERE virtualtransaction = ANY(${sql.param(vxids)}::text[]) LIMIT 1`);
  return result.rows.length === 0;
}

/**
 * Gives the accounts whose rollups from `source` changed a new version of them (stats_account_versions), drawn from
 * stats_version_seq while the caller holds the source's cursor (so versions of a source follow commit order), and
 * records it on each day that changed (stats_day_changes). `changed` selects (account_id, day): the days of the events
 * folded, or a null day for a recount, whose deleted row gives the account a new epoch instead.
 */
async function markChanged(tx: Executor, source: StatsSource, changed: SQL): Promise<void> {
  await tx.execute(sql`
    WITH changed AS (${changed}),
    drawn AS (SELECT nextval('stats_version_seq') AS version),
    days AS (
      INSERT INTO stats_day_changes AS c (account_id, source, day, version)
      SELECT DISTINCT changed.account_id, ${source}, changed.day, drawn.version FROM changed, drawn WHERE changed.day IS NOT NULL
      ON CONFLICT (account_id, source, day) DO UPDATE SET version = excluded.version
    )
    INSERT INTO stats_account_versions AS v (account_id, source, version, epoch)
    SELECT DISTINCT changed.account_id, ${source}, drawn.version, drawn.version FROM changed, drawn
    ON CONFLICT (account_id, source) DO UPDATE SET version = excluded.version`);
}

/**
 * Folds up to `batchSize` events of `source` past its cursor, in one transaction. Stops at the first id that is
 * missing (its transaction has not committed) unless that hole is proven dead; see stats_cursors. Returns undefined
 * when another process holds the cursor.
 */
export async function foldNext(db: Database, source: StatsSource, input: { timezone: string; batchSize: number }): Promise<FoldOutcome | undefined> {
  return db.transaction(async (tx) => {
    await ensureCursor(tx, source, input.timezone);
    const locked = await tx.execute<Cursor>(sql`
      SELECT last_id AS "lastId", blocked_below AS "blockedBelow", blocked_by AS "blockedBy", timezone
      FROM stats_cursors WHERE source = ${source} FOR UPDATE SKIP LOCKED`);
    const cursor = locked.rows[0];
    if (!cursor) return undefined;
    // A batch's per-sender aggregates outgrow the default 4 MB and spilled to disk in a measurement.
    await tx.execute(sql`SET LOCAL work_mem = '32MB'`);
    // Checked before the read (each statement sees what committed before it): once the transactions that could
    // hold the hole's ids have all ended, any of those ids that committed is visible below, and one still missing
    // rolled back.
    const holeIsDead = cursor.blockedBelow !== null && cursor.blockedBy !== null && (await allEnded(tx, cursor.blockedBy));
    const visible = (await tx.execute<{ id: number }>(sql`
      SELECT id FROM ${sourceTable(source)} WHERE id > ${cursor.lastId} ORDER BY id LIMIT ${input.batchSize}`)).rows.map((row) => row.id);

    const take: number[] = [];
    let expected = cursor.lastId + 1;
    let blockedBelow: number | null = null;
    for (const id of visible) {
      // Ids below the blocked one that are still missing are dead once the hole is proven so; later holes are new.
      if (id !== expected && !(holeIsDead && id <= cursor.blockedBelow!)) {
        blockedBelow = id;
        break;
      }
      take.push(id);
      expected = id + 1;
    }
    const lastId = take.at(-1) ?? cursor.lastId;
    // Every id in the range is taken or proven dead (a dead id can never become visible), so the range selects
    // exactly the batch, by the primary key, without sending its ids back.
    if (take.length > 0) {
      const batch = sql`id > ${cursor.lastId} AND id <= ${lastId}`;
      await foldEvents(tx, source, batch, cursor.timezone);
      await markChanged(tx, source, sql`SELECT DISTINCT account_id, (occurred_at AT TIME ZONE ${cursor.timezone})::date AS day FROM ${sourceTable(source)} WHERE ${batch}`);
    }
    // A new hole: its ids were drawn before the read saw the id above it, by transactions holding the table's write
    // lock from before the draw to their end; those still running are among the writers now.
    const sameHole = blockedBelow === cursor.blockedBelow && !holeIsDead && cursor.blockedBy !== null;
    const blockedBy = blockedBelow === null ? null : sameHole ? cursor.blockedBy : await writersOf(tx, source);
    await tx.execute(sql`
      UPDATE stats_cursors SET last_id = ${lastId}, blocked_below = ${blockedBelow}, blocked_by = ${blockedBy === null ? null : sql.param(blockedBy)}::text[]
      WHERE source = ${source}`);
    return { folded: take.length, more: blockedBelow === null && visible.length === input.batchSize, blockedBelow, timezone: cursor.timezone };
  });
}

/** Every rollup table, and the accounts' versions of them: what a reset empties and a recount replaces (the cursors apart). */
export const ROLLUP_TABLES = [
  'stats_follow_daily',
  'stats_attribute_daily',
  'stats_attribute_monthly',
  'stats_message_periods',
  'stats_period_senders',
  'stats_article_days',
  'stats_article_day_users',
  'stats_article_users',
  'stats_read_days',
  'stats_reads_day_users',
  'stats_hourly',
  'stats_account_versions',
  'stats_day_changes',
];

/**
 * Empties every rollup and resets the cursors (to `timezone`), waiting for any fold in progress; folding from the
 * start then recounts everything. Committed as one step, so the figures are never half reset.
 */
export async function resetRollups(db: Database, timezone: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT source FROM stats_cursors ORDER BY source FOR UPDATE`);
    await tx.execute(sql`TRUNCATE ${sql.join(ROLLUP_TABLES.map((table) => sql.identifier(table)), sql`, `)}`);
    await tx.execute(sql`DELETE FROM stats_cursors`);
    for (const source of STATS_SOURCES) await ensureCursor(tx, source, timezone);
  });
}

/**
 * Recounts one account: its rollup rows are replaced by a count of its events up to each cursor, in one transaction
 * that holds the cursors (folds wait), so an event is counted once whether the recount or a later fold takes it.
 */
export async function recountAccount(db: Database, accountId: number, timezone: string): Promise<void> {
  await db.transaction(async (tx) => {
    for (const source of STATS_SOURCES) await ensureCursor(tx, source, timezone);
    const cursors = await tx.execute<{ source: StatsSource; lastId: number; timezone: string }>(sql`
      SELECT source, last_id AS "lastId", timezone FROM stats_cursors ORDER BY source FOR UPDATE`);
    for (const table of ROLLUP_TABLES) {
      await tx.execute(sql`DELETE FROM ${sql.identifier(table)} WHERE account_id = ${accountId}`);
    }
    for (const cursor of cursors.rows) {
      await foldEvents(tx, cursor.source, sql`account_id = ${accountId} AND id <= ${cursor.lastId}`, cursor.timezone);
      await markChanged(tx, cursor.source, sql`SELECT ${accountId}::bigint AS account_id, NULL::date AS day`);
    }
  });
}

/** Events of each source not folded yet (an estimate of the work left, for progress lines). */
export async function unfoldedEvents(db: Executor): Promise<number> {
  const parts = STATS_SOURCES.map(
    (source) => sql`SELECT coalesce((SELECT max(id) FROM ${sourceTable(source)}), 0) - coalesce((SELECT last_id FROM stats_cursors WHERE source = ${source}), 0) AS n`,
  );
  const result = await db.execute<{ n: number }>(sql`SELECT sum(n)::bigint AS n FROM (${sql.join(parts, sql` UNION ALL `)}) t`);
  return Math.max(0, result.rows[0]?.n ?? 0);
}
