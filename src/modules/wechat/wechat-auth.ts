import type { Database } from '../../db/client.js';
import { findAccountByAppid, findApiCaller, type ApiCaller } from '../accounts/accounts.repo.js';
import { appsecretMatches } from '../accounts/credentials.js';
import type { AccessTokens } from './access-tokens.js';
import type { CallLimits } from './call-limits.js';
import { wechatError } from './errcodes.js';

/** The AppSecret version a token is issued under: a reset changes the hash, and with it every token's standing. */
const secretVersionOf = (account: Pick<ApiCaller, 'appsecretHash'>) => account.appsecretHash.slice(0, 16);

export type WechatAuth = ReturnType<typeof createWechatAuth>;

/**
 * Who calls the WeChat-compatible API: AppID and AppSecret for a token, then the token on every call, resolved to
 * its account (the AppSecret it was issued under must still be the account's) and counted against the interface.
 */
export function createWechatAuth(deps: { db: Database; tokens: AccessTokens; callLimits: CallLimits }) {
  const { db, tokens, callLimits } = deps;

  /** The account an AppID and AppSecret name: 41002 / 41004 when missing, 40013 unknown AppID, 40125 wrong secret. */
  async function credentialed(appid: unknown, secret: unknown): Promise<ApiCaller> {
    if (typeof appid !== 'string' || appid === '') throw wechatError(41002);
    if (typeof secret !== 'string' || secret === '') throw wechatError(41004);
    const account = await findAccountByAppid(db, appid);
    if (!account) throw wechatError(40013);
    if (!appsecretMatches(secret, account.appsecretHash)) throw wechatError(40125);
    return account;
  }

  const holderOf = (account: ApiCaller) => ({ accountId: account.id, secretVersion: secretVersionOf(account) });

  return {
    /** `GET /cgi-bin/token`. */
    async token(query: { grant_type?: unknown; appid?: unknown; secret?: unknown }) {
      if (query.grant_type !== 'client_credential') throw wechatError(40002);
      const account = await credentialed(query.appid, query.secret);
      await callLimits.count(account.id, '/cgi-bin/token');
      return tokens.issue(holderOf(account));
    },
    /** `POST /cgi-bin/stable_token`. */
    async stableToken(body: { grant_type?: unknown; appid?: unknown; secret?: unknown; force_refresh?: unknown }) {
      if (body.grant_type !== 'client_credential') throw wechatError(40002);
      if (body.force_refresh !== undefined && typeof body.force_refresh !== 'boolean') throw wechatError(40097, 'invalid args: force_refresh must be true or false');
      const account = await credentialed(body.appid, body.secret);
      await callLimits.count(account.id, '/cgi-bin/stable_token');
      return tokens.stable(holderOf(account), body.force_refresh === true);
    },
    /** The account a call's access_token stands for, after counting the call against `path` (45009 over the limit). */
    async authenticate(token: string | undefined, path: string): Promise<ApiCaller> {
      const day = callLimits.today();
      const holder = await tokens.resolve(token, path, day);
      const account = await findApiCaller(db, holder.accountId);
      // A reset AppSecret revokes the tokens issued under the old one, and their calls count for nothing.
      if (!account || secretVersionOf(account) !== holder.secretVersion) {
        await callLimits.takeBack(holder.accountId, path, day);
        throw wechatError(40001);
      }
      await callLimits.enforce(account.id, path, holder.calls, day);
      return account;
    },
  };
}
