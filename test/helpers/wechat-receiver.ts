import { createDecipheriv, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Consumers } from '../../src/queues/consumers.js';
import type { TestContext } from './context.js';
import { startWorker } from './worker.js';

/**
 * A developer's server written from WeChat's specification, not from the code under test: it checks every push's
 * signature (sha1 of the sorted token, timestamp and nonce), in compatible and safe mode also msg_signature, decrypts
 * <Encrypt> (AES-256-CBC, key = base64(EncodingAESKey + "="), IV = its first 16 bytes, 32-byte PKCS#7, 16 random
 * bytes / 4-byte length / message / appid) and answers what `answer` says for each push.
 */
export interface ReceivedPush {
  query: URLSearchParams;
  body: string;
  /** The push XML: the body in plaintext mode, the decrypted <Encrypt> otherwise. */
  xml: string;
  signatureValid: boolean;
  msgSignatureValid: boolean | null;
  appid: string | null;
  /** Element text of the push XML, by name (first occurrence). */
  field(name: string): string | undefined;
}

export type ReceiverAnswer = { status?: number; body?: string; hang?: boolean; reset?: boolean };

export interface WechatReceiver {
  url: string;
  pushes: ReceivedPush[];
  answer: (push: ReceivedPush, index: number) => ReceiverAnswer | Promise<ReceiverAnswer>;
  close(): Promise<void>;
}

const sha1 = (parts: string[]) => createHash('sha1').update([...parts].sort().join('')).digest('hex');

function decrypt(encrypted: string, encodingAesKey: string): { message: string; appid: string } {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
  const plain = padded.subarray(0, padded.length - padded[padded.length - 1]!);
  const length = plain.readUInt32BE(16);
  return { message: plain.subarray(20, 20 + length).toString('utf8'), appid: plain.subarray(20 + length).toString('utf8') };
}

/** The text of <name>…</name> at any depth, CDATA unwrapped; enough for the flat XML WeChat pushes. */
export function xmlField(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))</${name}>`).exec(xml);
  return match ? (match[1] ?? match[2]) : undefined;
}

export async function startWechatReceiver(options: { token: string; encodingAesKey?: string }): Promise<WechatReceiver> {
  const receiver: WechatReceiver = { url: '', pushes: [], answer: () => ({ body: 'success' }), close: async () => {} };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const query = new URL(request.url ?? '/', 'http://receiver').searchParams;
        const body = Buffer.concat(chunks).toString('utf8');
        const [timestamp, nonce] = [query.get('timestamp') ?? '', query.get('nonce') ?? ''];
        // URL verification: the echostr back, if the signature is right.
        if (request.method === 'GET') {
          const valid = query.get('signature') === sha1([options.token, timestamp, nonce]);
          return void response.writeHead(valid ? 200 : 403).end(valid ? (query.get('echostr') ?? '') : 'bad signature');
        }
        const encrypted = xmlField(body, 'Encrypt');
        let xml = body;
        let appid: string | null = null;
        let msgSignatureValid: boolean | null = null;
        if (encrypted !== undefined && options.encodingAesKey) {
          msgSignatureValid = query.get('msg_signature') === sha1([options.token, timestamp, nonce, encrypted]);
          ({ message: xml, appid } = decrypt(encrypted, options.encodingAesKey));
        }
        const push: ReceivedPush = {
          query,
          body,
          xml,
          signatureValid: query.get('signature') === sha1([options.token, timestamp, nonce]),
          msgSignatureValid,
          appid,
          field: (name) => xmlField(xml, name),
        };
        const index = receiver.pushes.length;
        receiver.pushes.push(push);
        const answer = await receiver.answer(push, index);
        if (answer.hang) return;
        if (answer.reset) return void request.socket.destroy();
        response.writeHead(answer.status ?? 200, { 'content-type': 'text/plain' }).end(answer.body ?? 'success');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat`;
  receiver.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** The token and EncodingAESKey the webhook tests configure. */
export const TEST_WEBHOOK_TOKEN = 'Token123';
export const TEST_WEBHOOK_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/**
 * Starts a spec receiver and makes it the account's developer server (the PUT verifies it, as WeChat does). The
 * receiver goes into `receivers`, which the calling test file closes after each test.
 */
export async function serveAccount(
  app: FastifyInstance,
  owner: { headers: Record<string, string> },
  accountId: number,
  receivers: WechatReceiver[],
  mode: 'plaintext' | 'compatible' | 'safe' = 'plaintext',
): Promise<WechatReceiver> {
  const receiver = await startWechatReceiver({ token: TEST_WEBHOOK_TOKEN, encodingAesKey: TEST_WEBHOOK_KEY });
  receivers.push(receiver);
  const saved = await app.inject({
    method: 'PUT',
    url: `/v1/accounts/${accountId}/webhook`,
    headers: owner.headers,
    payload: { url: receiver.url, token: TEST_WEBHOOK_TOKEN, encodingAESKey: TEST_WEBHOOK_KEY, mode },
  });
  expect(saved.statusCode, saved.body).toBe(200);
  return receiver;
}

/**
 * For a test file whose pushes must reach real receivers: the worker (BullMQ consumers, webhook relay, statistics
 * folder) runs for the whole file, and the receivers a test starts with serveAccount(…, receivers) are closed after
 * it. Hooks the file registers before calling this run before the worker starts.
 */
export function useWorkerWithReceivers(ctx: TestContext): { receivers: WechatReceiver[]; readonly worker: Consumers } {
  const receivers: WechatReceiver[] = [];
  let worker: Consumers | undefined;
  beforeAll(async () => {
    worker = await startWorker(ctx);
  });
  afterAll(async () => {
    await worker?.close();
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });
  return {
    receivers,
    get worker() {
      if (!worker) throw new Error('the worker starts in beforeAll');
      return worker;
    },
  };
}
