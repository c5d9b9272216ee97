import type { Clock } from '../../clock.js';
import type { Database, Transaction } from '../../db/client.js';
import { AppError, isUniqueViolation } from '../../errors.js';
import { decodeCursor, page } from '../../http/cursor.js';
import {
  countBlacklisted,
  countSubscribed,
  findFollowerByOpenid,
  findFollowerIdByOpenid,
  findFollowersByOpenids,
  listBlacklist,
  listSubscribedOpenids,
  openidsUnknownToAnyAccount,
  listFollowers,
  lockFollowersByOpenid,
  setBlacklisted,
  updateRemark,
  type FollowerRecord,
} from './followers.repo.js';
import {
  addTagMembers,
  countTags,
  countTagsOfFollowers,
  deleteTag,
  findTag,
  insertTag,
  tagExists,
  listTagMemberOpenids,
  listTags,
  lockTag,
  removeTagMembers,
  renameTag,
} from './tags.repo.js';
import { lockAccount } from '../accounts/accounts.repo.js';
import { FOLLOWER_LIMITS } from './wechat-constants.js';

export type FollowersService = ReturnType<typeof createFollowersService>;

/** A follower as the admin API shows it: WeChat's user/info fields, in camelCase. */
export function toFollowerView(record: FollowerRecord) {
  return {
    subscribe: record.subscribed ? 1 : 0,
    openid: record.openid,
    nickname: record.nickname,
    sex: record.gender,
    language: record.language,
    city: record.city,
    province: record.province,
    country: record.country,
    subscribeTime: Math.floor(record.subscribedAt.getTime() / 1000),
    unionid: record.unionid,
    remark: record.remark,
    tagidList: record.tagIds,
    subscribeScene: record.subscribeScene,
    qrScene: record.qrScene ?? 0,
    qrSceneStr: record.qrSceneStr ?? '',
    blacklisted: record.blacklisted,
  };
}

/**
 * WeChat's user/info: the profile while the user follows; after an unfollow only subscribe 0, the openid and the
 * unionid (when there is one). The account no longer sees who they are, nor its own remark, tags or QR scene.
 */
export function toUserInfo(record: FollowerRecord) {
  if (record.subscribed) return toFollowerView(record);
  return { subscribe: 0 as const, openid: record.openid, ...(record.unionid === null ? {} : { unionid: record.unionid }) };
}

function dedupe(openids: string[]): string[] {
  return [...new Set(openids)];
}

export function createFollowersService(deps: { db: Database; clock: Clock }) {
  const { db } = deps;

  /** Resolves openids to this account's followers, refusing the whole batch if any is unknown (WeChat's 40003). */
  async function lockKnownFollowers(tx: Transaction, accountId: number, openids: string[]) {
    const wanted = dedupe(openids);
    const found = await lockFollowersByOpenid(tx, accountId, wanted);
    if (found.length !== wanted.length) {
      const known = new Set(found.map((f) => f.openid));
      const invalid = wanted.filter((openid) => !known.has(openid));
      throw new AppError('INVALID_OPENIDS', `${invalid.length} openid(s) do not belong to followers of this account`, { invalidOpenids: invalid });
    }
    return found;
  }

  const tagNotFound = (tagId: number) => new AppError('TAG_NOT_FOUND', `Tag ${tagId} does not exist on this account`);

  /** The tag with its follower count, for the routes that show or judge the count. */
  async function requireTag(accountId: number, tagId: number) {
    const tag = await findTag(db, accountId, tagId);
    if (!tag) throw tagNotFound(tagId);
    return tag;
  }

  /** Existence only: paging and tagging need not count a possibly large tag's followers. */
  async function requireTagExists(accountId: number, tagId: number) {
    if (!(await tagExists(db, accountId, tagId))) throw tagNotFound(tagId);
  }

  /** The follower id an openid cursor stands for (0: from the start); an openid not of this account is refused. */
  async function followerIdAfter(accountId: number, afterOpenid: string | undefined): Promise<number> {
    if (afterOpenid === undefined || afterOpenid === '') return 0;
    const id = await findFollowerIdByOpenid(db, accountId, afterOpenid);
    if (id === undefined) throw new AppError('FOLLOWER_NOT_FOUND', `No follower of this account has openid ${afterOpenid}`);
    return id;
  }

  return {
    async list(accountId: number, query: { cursor?: string; limit: number; tagId?: number }) {
      if (query.tagId !== undefined) await requireTagExists(accountId, query.tagId);
      const rows = await listFollowers(db, accountId, { afterId: decodeCursor(query.cursor), limit: query.limit + 1, tagId: query.tagId });
      const { items, nextCursor } = page(rows, query.limit, (row) => row.id);
      return { items: items.map(toFollowerView), nextCursor };
    },

    async get(accountId: number, openid: string) {
      const record = await findFollowerByOpenid(db, accountId, openid);
      if (!record) throw new AppError('FOLLOWER_NOT_FOUND', `No follower of this account has openid ${openid}`);
      return toUserInfo(record);
    },

    /** Openid paging (WeChat's next_openid): the current followers after `afterOpenid`, in follow order. */
    async subscribedOpenids(accountId: number, query: { afterOpenid?: string; limit: number }): Promise<string[]> {
      const afterId = await followerIdAfter(accountId, query.afterOpenid);
      return listSubscribedOpenids(db, accountId, { afterId, limit: query.limit });
    },

    countSubscribed: (accountId: number) => countSubscribed(db, accountId),

    /** user/info for several openids at once, in the order asked; all or none (INVALID_OPENIDS names the unknown). */
    async getMany(accountId: number, openids: string[]) {
      const records = await findFollowersByOpenids(db, accountId, dedupe(openids));
      const byOpenid = new Map(records.map((record) => [record.openid, record]));
      const invalid = dedupe(openids).filter((openid) => !byOpenid.has(openid));
      if (invalid.length > 0) {
        throw new AppError('INVALID_OPENIDS', `${invalid.length} openid(s) do not belong to followers of this account`, { invalidOpenids: invalid });
      }
      return openids.map((openid) => toUserInfo(byOpenid.get(openid)!));
    },

    /** The tag ids a follower carries, kept while they are unfollowed (the tags come back if they follow again). */
    async tagIdsOf(accountId: number, openid: string): Promise<number[]> {
      const record = await findFollowerByOpenid(db, accountId, openid);
      if (!record) throw new AppError('FOLLOWER_NOT_FOUND', `No follower of this account has openid ${openid}`);
      return record.tagIds;
    },

    /** Openid paging over a tag's current followers. */
    async tagMemberOpenids(accountId: number, tagId: number, query: { afterOpenid?: string; limit: number }): Promise<string[]> {
      await requireTagExists(accountId, tagId);
      const afterFollowerId = await followerIdAfter(accountId, query.afterOpenid);
      return listTagMemberOpenids(db, accountId, tagId, { afterFollowerId, limit: query.limit });
    },

    /** Openid paging over the blacklist, with its size. */
    async blacklistedOpenids(accountId: number, query: { afterOpenid?: string; limit: number }) {
      const afterId = await followerIdAfter(accountId, query.afterOpenid);
      const [rows, total] = await Promise.all([listBlacklist(db, accountId, { afterId, limit: query.limit }), countBlacklisted(db, accountId)]);
      return { total, openids: rows.map((row) => row.openid) };
    },

    /** Which of these openids no account has (forged), as opposed to openids of another account. */
    openidsUnknownToAnyAccount: (openids: string[]) => openidsUnknownToAnyAccount(db, dedupe(openids)),

    async setRemark(accountId: number, openid: string, remark: string) {
      if (!(await updateRemark(db, accountId, openid, remark))) {
        throw new AppError('FOLLOWER_NOT_FOUND', `No follower of this account has openid ${openid}`);
      }
      return this.get(accountId, openid);
    },

    listTags: (accountId: number) => listTags(db, accountId),

    async createTag(accountId: number, name: string) {
      try {
        return await db.transaction(async (tx) => {
          await lockAccount(tx, accountId);
          if ((await countTags(tx, accountId)) >= FOLLOWER_LIMITS.tagsPerAccount) {
            throw new AppError('TAG_LIMIT_REACHED', `An account may have at most ${FOLLOWER_LIMITS.tagsPerAccount} tags`);
          }
          return insertTag(tx, accountId, name);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('TAG_NAME_TAKEN', `The account already has a tag named "${name}"`);
        throw error;
      }
    },

    async renameTag(accountId: number, tagId: number, name: string) {
      try {
        if (!(await renameTag(db, accountId, tagId, name))) throw tagNotFound(tagId);
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('TAG_NAME_TAKEN', `The account already has a tag named "${name}"`);
        throw error;
      }
      return requireTag(accountId, tagId);
    },

    /** Taggers in flight finish first (the tag lock waits for them), so the count judged is the one deleted. */
    async deleteTag(accountId: number, tagId: number) {
      await db.transaction(async (tx) => {
        if (!(await lockTag(tx, accountId, tagId, 'delete'))) throw tagNotFound(tagId);
        const tag = (await findTag(tx, accountId, tagId))!;
        if (tag.count > FOLLOWER_LIMITS.maxFollowersOfDeletableTag) {
          throw new AppError('TAG_TOO_LARGE_TO_DELETE', `A tag with more than ${FOLLOWER_LIMITS.maxFollowersOfDeletableTag} followers cannot be deleted; untag them first`);
        }
        await deleteTag(tx, accountId, tagId);
      });
    },

    /**
     * Tags up to 50 followers at once, all or none; no follower may end up with more than 20 tags. The tag is
     * checked and locked inside the transaction, so a concurrent delete either waits for this tagging (and removes
     * its rows with the tag) or has already happened (404).
     */
    async tagFollowers(accountId: number, tagId: number, openids: string[]) {
      return db.transaction(async (tx) => {
        if (!(await lockTag(tx, accountId, tagId, 'members'))) throw tagNotFound(tagId);
        const followers = await lockKnownFollowers(tx, accountId, openids);
        const counts = await countTagsOfFollowers(tx, accountId, followers.map((f) => f.id), tagId);
        const full = followers.filter((f) => (counts.get(f.id) ?? 0) >= FOLLOWER_LIMITS.tagsPerFollower).map((f) => f.openid);
        if (full.length > 0) {
          throw new AppError('FOLLOWER_TAG_LIMIT_REACHED', `${full.length} follower(s) already carry ${FOLLOWER_LIMITS.tagsPerFollower} tags`, { openids: full });
        }
        return { tagged: await addTagMembers(tx, accountId, tagId, followers.map((f) => f.id)) };
      });
    },

    async untagFollowers(accountId: number, tagId: number, openids: string[]) {
      return db.transaction(async (tx) => {
        if (!(await lockTag(tx, accountId, tagId, 'members'))) throw tagNotFound(tagId);
        const followers = await lockKnownFollowers(tx, accountId, openids);
        return { untagged: await removeTagMembers(tx, accountId, tagId, followers.map((f) => f.id)) };
      });
    },

    async setBlacklist(accountId: number, openids: string[], blacklisted: boolean) {
      return db.transaction(async (tx) => {
        const followers = await lockKnownFollowers(tx, accountId, openids);
        const changed = await setBlacklisted(tx, accountId, followers.map((f) => f.id), blacklisted, deps.clock.now());
        return { changed };
      });
    },

    async listBlacklist(accountId: number, query: { cursor?: string; limit: number }) {
      const rows = await listBlacklist(db, accountId, { afterId: decodeCursor(query.cursor), limit: query.limit + 1 });
      const { items, nextCursor } = page(rows, query.limit, (row) => row.id);
      return { items: items.map(({ openid, blacklistedAt }) => ({ openid, blacklistedAt })), nextCursor };
    },
  };
}
