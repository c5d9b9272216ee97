import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * WeChat's push signatures and "safe mode" message encryption, as WeChat computes them (the vectors in
 * test/unit/wechat-crypto.test.ts are WeChat's own and those of the SDKs that implement it).
 *
 * - signature:     sha1 of token, timestamp and nonce, sorted as strings and joined, in lowercase hex;
 * - msg_signature: the same over token, timestamp, nonce and the Encrypt text;
 * - Encrypt:       base64(AES-256-CBC(random 16 bytes ‖ uint32 BE length ‖ message ‖ appid, padded PKCS#7 to 32)),
 *                  key = base64decode(EncodingAESKey + "="), IV = the key's first 16 bytes.
 */

/** The failures WeChat's sample code (WXBizMsgCrypt) names, with its codes, so logs read as WeChat's would. */
export const WECHAT_CRYPTO_ERRORS = {
  ValidateSignature: -40001,
  IllegalAesKey: -40004,
  ValidateAppid: -40005,
  DecryptAES: -40007,
  IllegalBuffer: -40008,
  DecodeBase64: -40010,
} as const;

export type WechatCryptoErrorName = keyof typeof WECHAT_CRYPTO_ERRORS;

export class WechatCryptoError extends Error {
  override name = 'WechatCryptoError';
  readonly code: number;
  constructor(
    readonly reason: WechatCryptoErrorName,
    message: string,
  ) {
    super(message);
    this.code = WECHAT_CRYPTO_ERRORS[reason];
  }
}

/** WeChat pads to 32-byte blocks, not AES's 16: a standard PKCS#7 unpadder refuses pads of 17 to 32. */
const PAD_BLOCK = 32;
const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;

function sha1Hex(parts: string[]): string {
  // Sorted as byte strings, as PHP's sort(SORT_STRING) and every SDK do; JS's default sort compares UTF-16 code
  // units, which orders these ASCII values the same way.
  return createHash('sha1').update([...parts].sort().join('')).digest('hex');
}

/** `signature` of a push or of URL verification: sha1(sort(token, timestamp, nonce)). */
export function wechatSignature(token: string, timestamp: string, nonce: string): string {
  return sha1Hex([token, timestamp, nonce]);
}

/** `msg_signature` of an encrypted push or reply: sha1(sort(token, timestamp, nonce, Encrypt)). */
export function wechatMsgSignature(token: string, timestamp: string, nonce: string, encrypted: string): string {
  return sha1Hex([token, timestamp, nonce, encrypted]);
}

/** Compares a received hex signature with the expected one without leaking, by timing, how much of it matched. */
export function signatureMatches(expected: string, received: string | undefined): boolean {
  if (received === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isEncodingAesKey(value: string): boolean {
  return ENCODING_AES_KEY.test(value);
}

/** A fresh EncodingAESKey: 43 characters of [A-Za-z0-9], as WeChat's console generates. */
export function newEncodingAesKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let key = '';
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  while (key.length < 43) {
    for (const byte of randomBytes(64)) {
      if (byte < 248 && key.length < 43) key += alphabet[byte % 62];
    }
  }
  return key;
}

export function aesKeyOf(encodingAesKey: string): Buffer {
  if (!isEncodingAesKey(encodingAesKey)) {
    throw new WechatCryptoError('IllegalAesKey', 'EncodingAESKey must be 43 letters and digits');
  }
  return Buffer.from(`${encodingAesKey}=`, 'base64');
}

export interface WechatCipherKey {
  encodingAesKey: string;
  /** The account's AppID: appended to every plaintext, and checked on decryption. */
  appid: string;
}

/**
 * Encrypts a message (the push XML, or a reply) into WeChat's Encrypt text. `random` is the 16-byte prefix; WeChat
 * uses fresh random bytes each time, and tests pass a fixed one to compare with published vectors.
 */
export function encryptWechatMessage(message: string, key: WechatCipherKey, random: Buffer = randomBytes(16)): string {
  if (random.length !== 16) throw new RangeError('the random prefix is 16 bytes');
  const aesKey = aesKeyOf(key.encodingAesKey);
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const plain = Buffer.concat([random, length, body, Buffer.from(key.appid, 'utf8')]);
  const padLength = PAD_BLOCK - (plain.length % PAD_BLOCK);
  const padded = Buffer.concat([plain, Buffer.alloc(padLength, padLength)]);
  const cipher = createCipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

/** Decrypts WeChat's Encrypt text and checks the AppID it carries; throws WechatCryptoError on any failure. */
export function decryptWechatMessage(encrypted: string, key: WechatCipherKey): { message: string; appid: string } {
  const aesKey = aesKeyOf(key.encodingAesKey);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encrypted)) throw new WechatCryptoError('DecodeBase64', 'Encrypt is not base64');
  const data = Buffer.from(encrypted, 'base64');
  if (data.length === 0 || data.length % PAD_BLOCK !== 0) {
    throw new WechatCryptoError('IllegalBuffer', `Encrypt decodes to ${data.length} bytes, not a multiple of ${PAD_BLOCK}`);
  }
  let padded: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16));
    decipher.setAutoPadding(false);
    padded = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch (error) {
    throw new WechatCryptoError('DecryptAES', `AES decryption failed: ${(error as Error).message}`);
  }
  const pad = padded[padded.length - 1]!;
  if (pad < 1 || pad > PAD_BLOCK || !padded.subarray(padded.length - pad).every((byte) => byte === pad)) {
    // A wrong key turns the padding into noise: the usual sign that the EncodingAESKey differs.
    throw new WechatCryptoError('IllegalBuffer', 'the padding is not valid (a wrong EncodingAESKey?)');
  }
  const plain = padded.subarray(0, padded.length - pad);
  if (plain.length < 20) throw new WechatCryptoError('IllegalBuffer', 'the plaintext is shorter than its header');
  const length = plain.readUInt32BE(16);
  if (20 + length > plain.length) throw new WechatCryptoError('IllegalBuffer', `the message length ${length} exceeds the plaintext`);
  const message = plain.subarray(20, 20 + length).toString('utf8');
  const appid = plain.subarray(20 + length).toString('utf8');
  if (appid !== key.appid) throw new WechatCryptoError('ValidateAppid', `the message is for appid ${JSON.stringify(appid)}, not ${key.appid}`);
  return { message, appid };
}
