import { Type } from 'typebox';

const Day = (description: string) => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description });

/** Every stats route's range: calendar days in QUOTA_TIMEZONE, both included, at most 366 of them. */
export const StatsQuery = Type.Object(
  {
    from: Day('first day, YYYY-MM-DD'),
    to: Day('last day, YYYY-MM-DD; today at the latest (its figures are live)'),
    granularity: Type.Enum(['day', 'week', 'month'], { default: 'day', description: 'whole periods (weeks from Monday) that overlap the range, each named by its first day' }),
    format: Type.Optional(Type.Enum(['json', 'csv'], { description: 'csv: the same rows as CSV with a header line (also with Accept: text/csv)' })),
  },
  { additionalProperties: false },
);

const Count = Type.Integer({ minimum: 0 });

export const FollowerGrowthItem = Type.Object(
  {
    refDate: Type.String({ description: 'the first day of the period' }),
    newUser: Count,
    cancelUser: Count,
    netUser: Type.Integer(),
    cumulateUser: Type.Integer({ description: 'followers at the end of the period' }),
    userSource: Type.Array(Type.Object({ scene: Type.String(), newUser: Count, cancelUser: Count }), {
      description: 'follows and unfollows by the scene the follower came from (an unfollow counts under the scene of the follow it ended)',
    }),
  },
  { additionalProperties: false },
);

export const FollowerSourceItem = Type.Object(
  {
    scene: Type.String({ description: "the scene followers came from (WeChat's user_source / subscribe_scene)" }),
    newUser: Count,
    cancelUser: Type.Integer({ minimum: 0, description: 'unfollows of followers who came from this scene' }),
  },
  { additionalProperties: false },
);

export const ActivationItem = Type.Object(
  {
    refDate: Type.String({ description: 'the first day of the period' }),
    msgUser: Type.Integer({ minimum: 0, description: 'followers who sent at least one message in the period' }),
    msgCount: Count,
    avgPerUser: Type.Number({ description: 'msgCount / msgUser, two decimals; 0 when nobody wrote' }),
    byType: Type.Array(Type.Object({ msgType: Type.String(), msgUser: Count, msgCount: Count })),
    distribution: Type.Object(
      { '0': Count, '1-5': Count, '6-10': Count, '>10': Count },
      {
        description:
          "followers by how many messages they sent in the period (1-5, 6-10, >10: WeChat's count_interval 1, 2, 3); '0' is the followers at the end of the period less its senders (one lower for each sender who left)",
      },
    ),
  },
  { additionalProperties: false },
);

export const ItemsOf = <T extends Parameters<typeof Type.Array>[0]>(item: T) => Type.Object({ items: Type.Array(item) }, { additionalProperties: false });

const engagementFields = {
  intPageReadUser: Count,
  intPageReadCount: Count,
  oriPageReadUser: Count,
  oriPageReadCount: Count,
  shareUser: Count,
  shareCount: Count,
  addToFavUser: Count,
  addToFavCount: Count,
};

export const ArticleDayItem = Type.Object(
  { refDate: Type.String(), msgDataId: Type.Integer(), articleIndex: Type.Integer(), title: Type.String(), ...engagementFields },
  { additionalProperties: false, description: 'users are distinct per day; counts are events' },
);

export const ArticleTotalItem = Type.Object(
  {
    refDate: Type.String(),
    articleIndex: Type.Integer(),
    title: Type.String(),
    targetUser: Type.Integer({ minimum: 0, description: 'followers the broadcast was delivered to (送达人数)' }),
    ...engagementFields,
  },
  { additionalProperties: false, description: 'figures to date: users distinct over the whole time since the send day' },
);

export const ArticleParams = Type.Object(
  { id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), msgDataId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) },
  { additionalProperties: false },
);
export const ArticleQuery = Type.Object({ format: Type.Optional(Type.Enum(['json', 'csv'])) }, { additionalProperties: false });

export const ReadDayItem = Type.Object(
  {
    refDate: Type.String(),
    ...engagementFields,
    bySource: Type.Array(
      Type.Object({ userSource: Type.String({ description: 'where the article was opened: session, friends, moments, history, kanyikan, souyisou, other' }), ...engagementFields }),
    ),
    byShareScene: Type.Array(Type.Object({ shareScene: Type.String({ description: 'friend, moments or other' }), shareUser: Count, shareCount: Count })),
  },
  { additionalProperties: false, description: 'every article of the account; users are distinct per day (and per source)' },
);

export const AttributesQuery = Type.Object(
  {
    date: Type.Optional(Day('the day whose end the figures are for; today by default (live)')),
    top: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'values shown per region (country, province, city); the rest are "other"' }),
    format: Type.Optional(Type.Enum(['json', 'csv'])),
  },
  { additionalProperties: false },
);

export const AttributesAnswer = Type.Object(
  {
    refDate: Type.String(),
    total: Type.Integer({ minimum: 0, description: 'followers at the end of refDate' }),
    items: Type.Array(
      Type.Object(
        {
          attribute: Type.Enum(['gender', 'language', 'country', 'province', 'city']),
          value: Type.String({ description: 'gender: male, female or unknown; an empty profile field is "unknown"; the values past `top` are "other"' }),
          followers: Count,
          share: Type.Number({ description: 'of all followers, 0–1, four decimals' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const HourlyQuery = Type.Object(
  { date: Type.Optional(Day('the day; today by default (live)')), format: Type.Optional(Type.Enum(['json', 'csv'])) },
  { additionalProperties: false },
);

const RefHour = Type.Integer({ minimum: 0, maximum: 23, description: 'the hour of the day, 0–23, in QUOTA_TIMEZONE' });

export const ArticleHourItem = Type.Object(
  { refDate: Type.String(), refHour: RefHour, articleIndex: Type.Integer(), title: Type.String(), ...engagementFields },
  { additionalProperties: false, description: 'one article in one hour: users are distinct within the hour' },
);

export const ActivationHourItem = Type.Object(
  {
    refDate: Type.String(),
    refHour: RefHour,
    msgUser: Type.Integer({ minimum: 0, description: 'followers who sent at least one message in the hour' }),
    msgCount: Count,
    byType: Type.Array(Type.Object({ msgType: Type.String({ description: "a message type, or WeChat's grouped wechat:4 (video, short video) and wechat:6 (link, location)" }), msgUser: Count, msgCount: Count })),
  },
  { additionalProperties: false },
);

export const ReadHourItem = Type.Object(
  {
    refDate: Type.String(),
    refHour: RefHour,
    ...engagementFields,
    bySource: Type.Array(Type.Object({ userSource: Type.String(), ...engagementFields })),
    byShareScene: Type.Array(Type.Object({ shareScene: Type.String(), shareUser: Count, shareCount: Count })),
  },
  { additionalProperties: false, description: 'users are distinct within the hour' },
);
