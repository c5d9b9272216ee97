import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { decodeCursor, page } from '../../http/cursor.js';
import type { EventsService } from '../events/events.service.js';
import { newOpenid, newUnionid } from '../followers/identifiers.js';
import { createPermanentQrcode, findQrcodeByTicket, insertTemporaryQrcode, listQrcodes, type QrcodeRow } from './qrcodes.repo.js';
import { actionOf, kindOf, QRCODE_LIMITS, qrcodeViolation, type QrAction, type QrcodeRequest } from './qrcodes.rules.js';

export type QrcodesService = ReturnType<typeof createQrcodesService>;

/** A ticket: 32 url-safe characters from 24 random bytes, so it needs no encoding in a URL and cannot be guessed. */
const newTicket = () => randomBytes(24).toString('base64url');
const TICKET = /^[A-Za-z0-9_-]{32}$/;

/** The path a code's image encodes, on this server (see qrcodeUrl); the follower side reads the ticket from it. */
export const qrcodePath = (ticket: string) => `/q/${ticket}`;

export interface QrcodeView {
  id: number;
  ticket: string;
  actionName: QrAction;
  kind: 'temporary' | 'permanent';
  sceneId: number | null;
  sceneStr: string | null;
  url: string;
  /** What the code was created to live, in seconds; null for a permanent code. */
  expireSeconds: number | null;
  expiresAt: Date | null;
  createdAt: Date;
}

export function toQrcodeView(row: QrcodeRow): QrcodeView {
  return {
    id: row.id,
    ticket: row.ticket,
    actionName: actionOf(row.kind, row.sceneStr),
    kind: row.kind,
    sceneId: row.sceneId,
    sceneStr: row.sceneStr,
    url: row.url,
    expireSeconds: row.expiresAt === null ? null : Math.round((row.expiresAt.getTime() - row.createdAt.getTime()) / 1000),
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
  };
}

/**
 * Parametric QR codes: created by the account (WeChat API or admin API), shown as an image to anyone with the
 * ticket, scanned by WeChat users. A scan follows the account with scene ADD_SCENE_QR_CODE, or, for a follower, is a
 * SCAN; both events record the ticket, which their pushes carry.
 */
export function createQrcodesService(deps: { db: Database; clock: Clock; events: EventsService; permanentLimit?: number }) {
  const { db, clock, events } = deps;
  const permanentLimit = deps.permanentLimit ?? QRCODE_LIMITS.permanentPerAccount;
  const isLive = (row: QrcodeRow) => row.expiresAt === null || row.expiresAt.getTime() > clock.now().getTime();

  /** A code by ticket, refused with a stable code when unknown (or malformed) or past its expiry. */
  async function live(ticket: string) {
    const row = TICKET.test(ticket) ? await findQrcodeByTicket(db, ticket) : undefined;
    if (!row) throw new AppError('QRCODE_NOT_FOUND', 'No QR code has this ticket');
    if (!isLive(row)) throw new AppError('QRCODE_EXPIRED', `The QR code expired at ${row.expiresAt!.toISOString()}`, { expiresAt: row.expiresAt!.toISOString() });
    return row;
  }

  return {
    /**
     * Creates a code (`origin`: this server's public origin, see publicOrigin). A permanent code whose scene the
     * account already has is answered as it is (created: false), so the same scene always prints the same image.
     */
    async create(accountId: number, request: QrcodeRequest, origin: string): Promise<{ created: boolean; qrcode: QrcodeView }> {
      const violation = qrcodeViolation(request);
      if (violation) {
        const path = violation.field === 'expireSeconds' ? 'body/expireSeconds' : `body/actionInfo/scene/${violation.field}`;
        throw new AppError('VALIDATION_FAILED', `${path}: ${violation.message}`, { field: violation.field });
      }
      const kind = kindOf(request.action);
      const now = clock.now();
      const ticket = newTicket();
      const scene = request.scene === 'none' ? { id: 0 } : request.scene;
      const code = {
        accountId,
        ticket,
        kind,
        sceneId: 'id' in scene ? scene.id : null,
        sceneStr: 'str' in scene ? scene.str : null,
        url: `${origin}${qrcodePath(ticket)}`,
        createdAt: now,
        expiresAt: kind === 'temporary' ? new Date(now.getTime() + (request.expireSeconds ?? QRCODE_LIMITS.defaultExpireSeconds) * 1000) : null,
      };
      if (kind === 'temporary') return { created: true, qrcode: toQrcodeView(await insertTemporaryQrcode(db, code)) };
      const outcome = await createPermanentQrcode(db, code, permanentLimit);
      if (outcome.status === 'limit_reached') {
        throw new AppError('QRCODE_LIMIT_REACHED', `The account has ${permanentLimit} permanent QR codes, the most it may have`, { limit: permanentLimit });
      }
      return { created: outcome.status === 'created', qrcode: toQrcodeView(outcome.row) };
    },

    async list(accountId: number, query: { cursor?: string; limit: number }) {
      const rows = await listQrcodes(db, accountId, { beforeId: decodeCursor(query.cursor), limit: query.limit });
      const { items, nextCursor } = page(rows, query.limit, (row) => row.id);
      return { items: items.map(toQrcodeView), nextCursor };
    },

    /** A live code's view and account, for showing it (showqrcode, /q/<ticket>). */
    async resolve(ticket: string): Promise<QrcodeView & { appid: string }> {
      const row = await live(ticket);
      return { ...toQrcodeView(row), appid: row.appid };
    },

    /**
     * A WeChat user scans a ticket: a follow with scene ADD_SCENE_QR_CODE and the code's scene if they do not follow
     * the account, a SCAN event if they do. Blacklisted followers scan like anyone (the blacklist stops messages,
     * not follows), as with /client/v1/follows.
     */
    async scan(wechatUserId: number, ticket: string): Promise<{ appid: string; openid: string; event: 'subscribe' | 'SCAN' }> {
      const code = await live(ticket);
      const followed = await events.follow({
        accountId: code.accountId,
        ownerId: code.ownerId,
        wechatUserId,
        candidateOpenid: newOpenid(),
        candidateUnionid: newUnionid(),
        scene: 'ADD_SCENE_QR_CODE',
        qrScene: code.sceneId,
        qrSceneStr: code.sceneStr,
        qrTicket: code.ticket,
        at: clock.now(),
      });
      return { appid: code.appid, openid: followed.openid, event: followed.alreadyFollowing ? 'SCAN' : 'subscribe' };
    },
  };
}
