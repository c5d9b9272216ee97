import { INT4_MAX } from '../../http/schemas.js';

/**
 * WeChat's rules for parametric QR codes (protocol reference §10.4.1, from the current doc
 * `doc/service/Account_Management/Generating_a_Parametric_QR_Code.html`): pure, so the WeChat-compatible route can
 * answer each violation with WeChat's errcode and the admin API with a problem naming the field.
 */

export const QR_ACTIONS = ['QR_SCENE', 'QR_STR_SCENE', 'QR_LIMIT_SCENE', 'QR_LIMIT_STR_SCENE'] as const;
export type QrAction = (typeof QR_ACTIONS)[number];
export type QrcodeKind = 'temporary' | 'permanent';

export const QRCODE_LIMITS = {
  /** Temporary codes live 60 s when expire_seconds is absent (current doc; older copies and WxJava say 30). */
  defaultExpireSeconds: 60,
  /** 30 days. */
  maxExpireSeconds: 2_592_000,
  /** Permanent int scenes are 1–100000. */
  maxPermanentSceneId: 100_000,
  /**
   * Temporary int scenes: WeChat's are non-zero 32-bit; here positive int4, as followers.qr_scene holds them (a
   * 2018 blog saw values up to 2^32-1 accepted, unconfirmed).
   */
  maxTemporarySceneId: INT4_MAX,
  sceneStrMaxChars: 64,
  /** Permanent codes per account; int and string codes share one pool here (whether WeChat's do is unconfirmed). */
  permanentPerAccount: 100_000,
} as const;

export const kindOf = (action: QrAction): QrcodeKind => (action.startsWith('QR_LIMIT_') ? 'permanent' : 'temporary');
export const usesSceneStr = (action: QrAction): boolean => action.endsWith('_STR_SCENE');

/** The action a stored code was created with; a scene-0 code made without action_info.scene reads as an int one. */
export function actionOf(kind: QrcodeKind, sceneStr: string | null): QrAction {
  if (kind === 'permanent') return sceneStr === null ? 'QR_LIMIT_SCENE' : 'QR_LIMIT_STR_SCENE';
  return sceneStr === null ? 'QR_SCENE' : 'QR_STR_SCENE';
}

/**
 * What a code is created from. `scene` is `'none'` only for WeChat's quirk: a body whose action_info lacks the
 * scene wrapper still gets a code, with scene 0 (cloud.tencent 1978697, §10.4.1).
 */
export interface QrcodeRequest {
  action: QrAction;
  expireSeconds?: number;
  scene: { id: number } | { str: string } | 'none';
}

export type QrcodeViolation = { field: 'expireSeconds' | 'sceneId' | 'sceneStr'; message: string };

/** The first rule the request breaks, or undefined. */
export function qrcodeViolation(request: QrcodeRequest): QrcodeViolation | undefined {
  const { action, scene } = request;
  if (kindOf(action) === 'temporary' && request.expireSeconds !== undefined) {
    const seconds = request.expireSeconds;
    if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > QRCODE_LIMITS.maxExpireSeconds) {
      return { field: 'expireSeconds', message: `expire_seconds must be an integer from 1 to ${QRCODE_LIMITS.maxExpireSeconds} (30 days)` };
    }
  }
  if (scene === 'none') return undefined;
  if (usesSceneStr(action)) {
    if (!('str' in scene)) return { field: 'sceneStr', message: `${action} needs scene_str` };
    const length = [...scene.str].length;
    if (length < 1 || length > QRCODE_LIMITS.sceneStrMaxChars) return { field: 'sceneStr', message: `scene_str must be 1 to ${QRCODE_LIMITS.sceneStrMaxChars} characters` };
    return undefined;
  }
  if (!('id' in scene)) return { field: 'sceneId', message: `${action} needs scene_id` };
  const max = kindOf(action) === 'permanent' ? QRCODE_LIMITS.maxPermanentSceneId : QRCODE_LIMITS.maxTemporarySceneId;
  if (!Number.isSafeInteger(scene.id) || scene.id < 1 || scene.id > max) return { field: 'sceneId', message: `scene_id of ${action} must be an integer from 1 to ${max}` };
  return undefined;
}
