import { WechatError, type ErrorCode } from '../../errors.js';

/**
 * WeChat's error codes with the errmsg WeChat sends for each (../shared/wechat-protocol.md §1, §3, §7.1). Handlers
 * raise `wechatError(code)`; the facade appends ` rid: <request id>` as live WeChat does.
 */
export const ERRMSG = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40004: 'invalid media type',
  40005: 'invalid file type',
  40006: 'invalid meida size',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40013: 'invalid appid',
  40014: 'invalid access_token',
  40031: 'invalid openid list',
  40032: 'invalid openid list size',
  40033: 'invalid charset. please check your request, if include \\uxxxx will create fail!',
  40035: 'invalid args size',
  40036: 'invalid template_id size',
  40037: 'invalid template_id',
  40059: 'invalid msg id',
  40060: 'invalid article idx',
  40009: 'invalid image size',
  40010: 'invalid voice size',
  40011: 'invalid video size',
  40066: 'invalid url',
  40097: 'invalid args',
  40125: 'invalid appsecret',
  40130: 'invalid openid list size, at least two openid',
  40246: 'keyword name invalid',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41006: 'media_id missing',
  41005: 'media data missing',
  41009: 'missing openid',
  42001: 'access_token expired',
  43001: 'require GET method',
  43002: 'require POST method',
  43004: 'require subscribe',
  43019: 'require remove blacklist',
  44001: 'empty media data',
  44002: 'empty post data',
  44003: 'empty news data',
  44004: 'empty content',
  45002: 'content size out of limit',
  45001: 'media size out of limit',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit, must slower, retry next minute',
  45015: 'response out of time limit or subscription is canceled',
  45047: 'out of response count limit',
  // Typing (§10.2.2): WeChat's errmsg for these three is not known; the words are ours.
  45072: 'invalid command',
  45080: 'no message exchanged with the user in the last 30 seconds',
  45081: 'already typing',
  45028: 'has no masssend quota',
  45029: 'qrcode count out of limit',
  45026: 'template num exceeds limit',
  45027: 'template conflict with industry',
  45056: 'too many tag now, no need to add new',
  45057: "can't delete the tag that has too many fans",
  45058: "can't modify sys tag",
  45059: 'can not tagging one user too much',
  45065: 'clientmsgid exist',
  45066: 'same clientmsgid retry too fast',
  45067: 'clientmsgid size out of limit',
  45083: 'the speed out of range',
  45084: 'No speed message',
  45157: 'invalid tag name',
  45158: 'tag name too long',
  45159: 'invalid tag id',
  46001: 'media data no exist',
  46004: 'user no exist',
  47001: 'data format error',
  47003: 'argument invalid',
  48001: 'api unauthorized',
  48006: 'forbid to clear quota because of reaching the limit',
  49003: 'not match openid with appid',
  61500: 'date format error',
  61501: 'date range error',
  76021: 'cgi_path not found, please check',
} as const satisfies Record<number, string>;

export type Errcode = keyof typeof ERRMSG;

/** A WeChat error with WeChat's errmsg for its code (or a more precise one). */
export function wechatError(errcode: Errcode, errmsg: string = ERRMSG[errcode]): WechatError {
  return new WechatError(errcode, errmsg);
}

/**
 * The errcode for each service error the shared services raise, where WeChat has one. The rest are -1 "system
 * error": a dependency away, or a fault of ours.
 */
const ERRCODE_OF: Partial<Record<ErrorCode, Errcode>> = {
  VALIDATION_FAILED: 40097,
  MALFORMED_REQUEST: 47001,
  UNAUTHORIZED: 41001,
  TOKEN_EXPIRED: 42001,
  INVALID_CREDENTIALS: 40001,
  RATE_LIMITED: 45011,
  FORBIDDEN: 48001,
  CAPABILITY_NOT_ALLOWED: 48001,
  NOT_FOUND: 40066,
  ACCOUNT_NOT_FOUND: 40013,
  USER_NOT_FOUND: 46004,
  QUOTA_EXHAUSTED: 45028,
  NOT_FOLLOWING: 43004,
  REPLY_WINDOW_CLOSED: 45015,
  CUSTOM_MESSAGE_QUOTA_EXCEEDED: 45047,
  BLACKLISTED: 43019,
  FOLLOWER_NOT_FOUND: 40003,
  INVALID_OPENIDS: 40003,
  TAG_NOT_FOUND: 45159,
  TAG_NAME_TAKEN: 45157,
  TAG_LIMIT_REACHED: 45056,
  FOLLOWER_TAG_LIMIT_REACHED: 45059,
  TAG_TOO_LARGE_TO_DELETE: 45057,
  ARTICLE_NOT_FOUND: 40007,
  BROADCAST_NOT_FOUND: 40059,
  BROADCAST_NOT_DELETABLE: 40059,
  INVALID_ARTICLE_INDEX: 40060,
  PAYLOAD_TOO_LARGE: 45002,
  // Previews share WeChat's daily call limit code.
  PREVIEW_LIMIT_REACHED: 45009,
  QRCODE_LIMIT_REACHED: 45029,
  TEMPLATE_NOT_FOUND: 40037,
  TEMPLATE_LIMIT_REACHED: 45026,
  TEMPLATE_INDUSTRY_CONFLICT: 45027,
  UNSUPPORTED_MEDIA_TYPE: 47001,
};

export function errcodeOf(code: ErrorCode): Errcode {
  return ERRCODE_OF[code] ?? -1;
}
