/**
 * The part of co-wechat-api (3.11.0, CommonJS, no types of its own) that the SDK compatibility test uses; read from
 * node_modules/co-wechat-api/lib/api_common.js and the api_*.js mixins. Answers are WeChat's JSON as the library
 * parses it (json-bigint: integers beyond 2^53 come back as BigNumber objects).
 */
declare module 'co-wechat-api' {
  import type { Agent } from 'node:http';

  type Answer = Record<string, any>;

  namespace WechatAPI {
    /** What the library keeps in its token store: expireTime is Date.now()-based, expires_in − 10 s. */
    interface StoredToken {
      accessToken: string;
      expireTime: number;
    }
  }

  class WechatAPI {
    constructor(
      appid: string,
      appsecret: string,
      getToken?: () => Promise<WechatAPI.StoredToken | null | undefined>,
      saveToken?: (token: WechatAPI.StoredToken | null) => Promise<void>,
      tokenFromCustom?: boolean,
    );
    appid: string;
    appsecret: string;
    /** Base of every /cgi-bin call, default 'https://api.weixin.qq.com/cgi-bin/' (trailing slash). */
    prefix: string;
    snsPrefix: string;
    mpPrefix: string;
    fileServerPrefix: string;
    payPrefix: string;
    merchantPrefix: string;
    customservicePrefix: string;
    wxaPrefix: string;
    /** Default httpx options merged into every request (agent, timeout, …). */
    setOpts(opts: { agent?: Agent; timeout?: number; [key: string]: unknown }): void;
    request(url: string, opts?: Record<string, unknown>, retry?: number): Promise<any>;
    getAccessToken(): Promise<WechatAPI.StoredToken>;
    ensureAccessToken(): Promise<WechatAPI.StoredToken>;

    // datacube (lib/api_datacube.js)
    getUserSummary(begin: string, end: string): Promise<Answer>;
    getUserCumulate(begin: string, end: string): Promise<Answer>;
    getUpstreamMsg(begin: string, end: string): Promise<Answer>;

    // users and tags (lib/api_user.js)
    getFollowers(nextOpenid?: string): Promise<Answer>;
    getUser(options: string | { openid: string; lang: string }): Promise<Answer>;
    batchGetUsers(openids: string[], lang?: string): Promise<Answer>;
    createTags(name: string): Promise<Answer>;
    getTags(): Promise<Answer>;
    getUsersFromTag(tagId: number, nextOpenId?: string): Promise<Answer>;
    batchTagging(openIdList: string[], tagId: number): Promise<Answer>;
    getIdList(openId: string): Promise<Answer>;

    // media and mass messages (lib/api_media.js, lib/api_mass_send.js)
    uploadMedia(file: string | Buffer, type: string, filename?: string, mime?: string): Promise<Answer>;
    uploadNews(news: { articles: Array<Record<string, unknown>> }): Promise<Answer>;
    massSendText(content: string, receivers: boolean | number | string[], clientMsgId?: string): Promise<Answer>;
    massSendNews(mediaId: string, receivers: boolean | number | string[], clientMsgId?: string, sendIgnoreReprint?: number): Promise<Answer>;
    getMassMessageStatus(messageId: unknown): Promise<Answer>;

    // template messages (lib/api_template.js): sendTemplate puts topColor in a top-level `color`
    setIndustry(industryIds: { industry_id1: string; industry_id2: string }): Promise<Answer>;
    getIndustry(): Promise<Answer>;
    addTemplate(templateIdShort: string): Promise<Answer>;
    getAllPrivateTemplate(): Promise<Answer>;
    delPrivateTemplate(templateId: string): Promise<Answer>;
    sendTemplate(openid: string, templateId: string, url: string | undefined, topColor: string | undefined, data: Record<string, { value: string; color?: string }>, miniprogram?: { appid: string; pagepath: string }): Promise<Answer>;
  }

  export = WechatAPI;
}
