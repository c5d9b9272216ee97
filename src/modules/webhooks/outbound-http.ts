import { lookup as dnsLookup } from 'node:dns';
import { isIP, isIPv4, isIPv6, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';

/**
 * The HTTP client that pushes XML to developers' servers and verifies their URLs. Every URL it is given comes from a
 * developer, so it is hardened as a client of untrusted servers:
 *
 * - it never throws for what a URL or a server does: every outcome is an OutboundResult, with a stable error code;
 * - it never follows a redirect (a 3xx is returned like any other response);
 * - unless `allowPrivateAddresses`, it refuses to reach loopback, private, link-local (cloud metadata), CGNAT and
 *   reserved addresses. The check runs inside the connection's own DNS lookup, on every address the name resolves
 *   to, so a name that resolves (or rebinds) to an internal address is refused at the moment of connecting, not
 *   only when the URL is saved;
 * - one deadline covers the whole exchange (queueing, DNS, connect, headers and body), and a response body larger
 *   than `maxResponseBytes` is cut off rather than buffered.
 *
 * Node's global fetch is not used: it follows redirects and offers no hook on the address it connects to.
 */

export type OutboundErrorCode =
  | 'invalid_url'
  | 'forbidden_address'
  | 'dns_failed'
  | 'connect_timeout'
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'too_large'
  | 'network';

/**
 * Any HTTP response, 4xx and 5xx included: what a status means (a failed push, a wrong echostr) is the caller's
 * call. `body` is always the complete body, decoded as UTF-8: a body over the limit is a `too_large` failure, never
 * a silently truncated success, since half a passive reply or half an echostr is worse than none.
 */
export interface OutboundResponse {
  ok: true;
  status: number;
  body: string;
  latencyMs: number;
}

export interface OutboundFailure {
  ok: false;
  error: { code: OutboundErrorCode; message: string };
  latencyMs: number;
  /** The response's status, when its headers arrived before the failure (a `too_large` or a timeout mid-body). */
  status?: number;
  /** Up to the first FIRST_BYTES_FOR_LOGS bytes of the body, as UTF-8, when any arrived: for the delivery log. */
  firstBytes?: string;
}

export type OutboundResult = OutboundResponse | OutboundFailure;

export interface OutboundHttpOptions {
  /** Development and tests only: lets URLs reach loopback and private networks (a receiver on localhost). */
  allowPrivateAddresses: boolean;
  /**
   * DNS, TCP and TLS together; default 3 s. undici runs this timer on its coarse clock, so it fires up to a second
   * late; the total deadline is exact.
   */
  connectTimeoutMs?: number;
  /** The whole exchange, from the call to the last byte of the body; default 5 s, WeChat's own push deadline. */
  totalTimeoutMs?: number;
  /** Default 64 KiB: a passive reply is a few hundred bytes, and WeChat refuses larger ones. */
  maxResponseBytes?: number;
  userAgent?: string;
}

export interface OutboundRequestOptions {
  /** Appended to the URL's own query, each key and value percent-encoded (the signature, timestamp, nonce...). */
  query?: Record<string, string>;
}

export interface OutboundPostOptions extends OutboundRequestOptions {
  /** Default `text/xml; charset=utf-8`, the content type of WeChat's pushes. */
  contentType?: string;
}

export interface OutboundHttp {
  post(url: string, body: string, options?: OutboundPostOptions): Promise<OutboundResult>;
  get(url: string, options?: OutboundRequestOptions): Promise<OutboundResult>;
  /** Closes the pooled connections, after in-flight exchanges end. */
  close(): Promise<void>;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
const DEFAULT_TOTAL_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const DEFAULT_USER_AGENT = 'oa-platform-webhooks';
const DEFAULT_POST_CONTENT_TYPE = 'text/xml; charset=utf-8';
/** Enough of a refused or cut-off body to tell an nginx error page from a stack trace in the delivery log. */
export const FIRST_BYTES_FOR_LOGS = 512;
/**
 * Open connections to one developer's server (one origin), at most. Keep-alive lets the relay reuse them across
 * pushes; the cap keeps a burst of thousands of pushes to one account from opening thousands of sockets, which
 * would look like an attack to a small developer server and spend our ephemeral ports. Requests beyond it wait in
 * the pool, and that wait counts against their deadline.
 */
export const MAX_CONNECTIONS_PER_ORIGIN = 64;

// ---------------------------------------------------------------------------------------------------------------
// Which addresses a developer's URL may reach.

type Bytes = readonly number[];

interface Cidr {
  network: Bytes;
  prefixLength: number;
}

function ipv4Bytes(address: string): Bytes | undefined {
  if (!isIPv4(address)) return undefined;
  return address.split('.').map(Number);
}

function ipv6Bytes(address: string): Bytes | undefined {
  // A zone ("fe80::1%eth0") says which interface, not which address.
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return undefined;
  const hextetsOf = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          // The last 32 bits may be written as a dotted quad (::ffff:127.0.0.1).
          const quad = ipv4Bytes(group);
          return quad ? [(quad[0]! << 8) | quad[1]!, (quad[2]! << 8) | quad[3]!] : [Number.parseInt(group, 16)];
        });
  const [head, tail] = bare.split('::') as [string, string | undefined];
  const headHextets = hextetsOf(head);
  const tailHextets = tail === undefined ? [] : hextetsOf(tail);
  const zeros = new Array<number>(8 - headHextets.length - tailHextets.length).fill(0);
  return [...headHextets, ...zeros, ...tailHextets].flatMap((hextet) => [hextet >> 8, hextet & 0xff]);
}

function cidr(text: string): Cidr {
  const [address, length] = text.split('/') as [string, string];
  const network = ipv4Bytes(address) ?? ipv6Bytes(address);
  if (!network) throw new Error(`not a CIDR block: ${text}`);
  return { network, prefixLength: Number(length) };
}

function inCidr(bytes: Bytes, block: Cidr): boolean {
  if (bytes.length !== block.network.length) return false;
  for (let bit = 0; bit < block.prefixLength; bit += 8) {
    const bitsInByte = Math.min(8, block.prefixLength - bit);
    const mask = (0xff << (8 - bitsInByte)) & 0xff;
    if ((bytes[bit / 8]! & mask) !== (block.network[bit / 8]! & mask)) return false;
  }
  return true;
}

/**
 * Matched by hand rather than with net.BlockList: a BlockList treats IPv4-mapped IPv6 rules and IPv4 addresses as
 * the same thing (a rule for ::ffff:0:0/96 matches 8.8.8.8), which would make the embedded-address rules below
 * block the whole IPv4 internet.
 */
const FORBIDDEN_IPV4 = [
  '0.0.0.0/8', // "this network": connecting to 0.0.0.0 reaches the local host on Linux
  '10.0.0.0/8', // private
  '100.64.0.0/10', // CGNAT shared space: often the hosting provider's own internal network
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, including the cloud metadata service at 169.254.169.254
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments (some clouds put metadata services here)
  '192.0.2.0/24', // documentation (TEST-NET-1): never a real server
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking, used inside data centres
  '198.51.100.0/24', // documentation (TEST-NET-2)
  '203.0.113.0/24', // documentation (TEST-NET-3)
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and the broadcast address 255.255.255.255
].map(cidr);

const FORBIDDEN_IPV6 = [
  '::/128', // unspecified
  '::1/128', // loopback
  '64:ff9b:1::/48', // local-use NAT64: translates into a private IPv4 network by definition
  '100::/64', // discard-only
  '2001:db8::/32', // documentation
  'fc00::/7', // unique local (the IPv6 private networks)
  'fe80::/10', // link-local
  'fec0::/10', // site-local: deprecated, but still routed inside some networks
  'ff00::/8', // multicast
].map(cidr);

/** IPv6 forms that carry an IPv4 address a gateway or the local stack may deliver to: the IPv4 is checked too. */
const IPV4_CARRIERS: ReadonlyArray<{ block: Cidr; embedded: (bytes: Bytes) => Bytes[] }> = [
  { block: cidr('::ffff:0:0/96'), embedded: (bytes) => [bytes.slice(12)] }, // IPv4-mapped: the socket talks IPv4
  { block: cidr('::/96'), embedded: (bytes) => [bytes.slice(12)] }, // IPv4-compatible (deprecated)
  { block: cidr('::ffff:0:0:0/96'), embedded: (bytes) => [bytes.slice(12)] }, // IPv4-translated (SIIT)
  { block: cidr('64:ff9b::/96'), embedded: (bytes) => [bytes.slice(12)] }, // NAT64 well-known prefix
  { block: cidr('2002::/16'), embedded: (bytes) => [bytes.slice(2, 6)] }, // 6to4: the relay's IPv4 after 2002:
  {
    // Teredo: the server's IPv4 in clear, the client's inverted in the last 32 bits.
    block: cidr('2001::/32'),
    embedded: (bytes) => [bytes.slice(4, 8), bytes.slice(12).map((byte) => byte ^ 0xff)],
  },
];

/**
 * Whether a developer's URL must not reach this address: loopback, private, link-local, CGNAT, unspecified,
 * multicast or reserved, in IPv4 or IPv6, including IPv6 forms that embed such an IPv4 (::ffff:127.0.0.1). Anything
 * that is not an IP address is forbidden too, so a parsing gap fails closed.
 */
export function isForbiddenAddress(ip: string): boolean {
  const v4 = ipv4Bytes(ip);
  if (v4) return FORBIDDEN_IPV4.some((block) => inCidr(v4, block));
  const v6 = ipv6Bytes(ip);
  if (!v6) return true;
  if (FORBIDDEN_IPV6.some((block) => inCidr(v6, block))) return true;
  return IPV4_CARRIERS.some(
    ({ block, embedded }) => inCidr(v6, block) && embedded(v6).some((v4Bytes) => FORBIDDEN_IPV4.some((forbidden) => inCidr(v4Bytes, forbidden))),
  );
}

class ForbiddenAddressError extends Error {
  override name = 'ForbiddenAddressError';
  readonly code = 'ERR_FORBIDDEN_ADDRESS';
}

/**
 * The DNS lookup of every connection the guarded client opens. Node's socket connects only to what this returns,
 * so checking here checks the address actually connected to: a name that resolves to an internal address, or
 * rebinds to one after the URL was checked, is refused when the connection is made. Every resolved address is
 * checked, not just the first, because with happy eyeballs (autoSelectFamily) the socket may try any of them.
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    if (addresses.length === 0) {
      return callback(Object.assign(new Error(`${hostname} resolved to no address`), { code: 'ENOTFOUND' }), []);
    }
    const forbidden = addresses.find(({ address }) => isForbiddenAddress(address));
    if (forbidden) {
      return callback(new ForbiddenAddressError(`${hostname} resolves to ${forbidden.address}, a private or reserved address`), []);
    }
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

// ---------------------------------------------------------------------------------------------------------------
// Requests.

function failure(code: OutboundErrorCode, message: string, latencyMs: number, extra: Pick<OutboundFailure, 'status' | 'firstBytes'> = {}): OutboundFailure {
  return { ok: false, error: { code, message }, latencyMs, ...extra };
}

/** The URL to request, or why it is refused before any connection. */
function targetOf(rawUrl: string, query: Record<string, string> | undefined): URL | { code: OutboundErrorCode; message: string } {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { code: 'invalid_url', message: `not a URL: ${JSON.stringify(rawUrl)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { code: 'invalid_url', message: `only http and https URLs are allowed, not ${url.protocol}` };
  }
  // Credentials in a push URL would be sent to a server that may log them, and are no part of WeChat's protocol.
  if (url.username !== '' || url.password !== '') return { code: 'invalid_url', message: 'the URL must not carry credentials' };
  if (query) {
    // Encoded by hand rather than through url.searchParams, which would re-encode the URL's own query (a %20 in it
    // would become a +) and change what the developer's server sees.
    const extra = Object.entries(query)
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
      .join('&');
    if (extra !== '') url.search = url.search === '' ? `?${extra}` : `${url.search}&${extra}`;
  }
  return url;
}

/** The host of a URL when it is an IP address literal ([::1] without its brackets), which needs no lookup. */
function ipLiteralOf(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) === 0 ? undefined : host;
}

function errorCodesOf(error: unknown): string[] {
  if (typeof error !== 'object' || error === null) return [];
  const codes: string[] = [];
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === 'string') codes.push(code);
  // Happy eyeballs reports one error per address tried, in an AggregateError.
  if (error instanceof AggregateError) for (const inner of error.errors) codes.push(...errorCodesOf(inner));
  if (cause !== undefined && cause !== error) codes.push(...errorCodesOf(cause));
  return codes;
}

const CODE_OF_ERROR: ReadonlyArray<[OutboundErrorCode, readonly string[]]> = [
  ['forbidden_address', ['ERR_FORBIDDEN_ADDRESS']],
  ['dns_failed', ['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'ENODATA']],
  ['connect_timeout', ['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']],
  ['timeout', ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']],
  ['connection_refused', ['ECONNREFUSED']],
  // UND_ERR_SOCKET is undici's "other side closed": the server hung up before its response was complete.
  ['connection_reset', ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']],
];

function codeOfError(error: unknown): OutboundErrorCode {
  const codes = errorCodesOf(error);
  return CODE_OF_ERROR.find(([, matching]) => matching.some((code) => codes.includes(code)))?.[0] ?? 'network';
}

function messageOfError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = errorCodesOf(error)[0];
  return code === undefined || error.message.includes(code) ? error.message : `${error.message} (${code})`;
}

/**
 * Calls `onConnected` when undici writes the request on a connected socket, which tells a deadline that passed while
 * still waiting for a connection (connect_timeout) from one that passed while waiting for the server (timeout).
 */
function noticingConnection(handler: Dispatcher.DispatchHandler, onConnected: () => void): Dispatcher.DispatchHandler {
  return {
    onRequestStart(controller, context) {
      onConnected();
      handler.onRequestStart?.(controller, context);
    },
    onRequestUpgrade: (controller, statusCode, headers, socket) => handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
    onResponseStart: (controller, statusCode, headers, statusMessage) => handler.onResponseStart?.(controller, statusCode, headers, statusMessage),
    onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
    onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
    onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
  };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

export function createOutboundHttp(options: OutboundHttpOptions): OutboundHttp {
  const connectTimeoutMs = positiveInteger('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  const totalTimeoutMs = positiveInteger('totalTimeoutMs', options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS);
  const maxResponseBytes = positiveInteger('maxResponseBytes', options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const guarded = !options.allowPrivateAddresses;

  // One agent for the client's life: it keeps connections alive per origin and reuses them across pushes.
  const agent = new Agent({
    connections: MAX_CONNECTIONS_PER_ORIGIN,
    connect: guarded ? { timeout: connectTimeoutMs, lookup: guardedLookup } : { timeout: connectTimeoutMs },
  });

  async function exchange(method: 'GET' | 'POST', rawUrl: string, query: Record<string, string> | undefined, body?: { text: string; contentType: string }): Promise<OutboundResult> {
    const startedAt = performance.now();
    const elapsed = () => Math.round(performance.now() - startedAt);

    const target = targetOf(rawUrl, query);
    if (!(target instanceof URL)) return failure(target.code, target.message, elapsed());
    // A literal IP is connected to without any lookup, so the lookup's guard never sees it: check it here.
    const literal = ipLiteralOf(target);
    if (guarded && literal !== undefined && isForbiddenAddress(literal)) {
      return failure('forbidden_address', `${literal} is a private or reserved address`, elapsed());
    }

    let connected = false;
    const deadline = new AbortController();
    const dispatcher = agent.compose((dispatch) => (dispatchOptions, handler) =>
      dispatch(dispatchOptions, noticingConnection(handler, () => (connected = true))),
    );

    let status: number | undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    const partialResponse = (): Pick<OutboundFailure, 'status' | 'firstBytes'> => ({
      ...(status === undefined ? {} : { status }),
      ...(received === 0 ? {} : { firstBytes: Buffer.concat(chunks).subarray(0, FIRST_BYTES_FOR_LOGS).toString('utf8') }),
    });

    /** The exchange itself; it settles with a result, never rejects, and stops early once the deadline aborts it. */
    const transfer = async (): Promise<OutboundResult> => {
      try {
        const headers: Record<string, string> = { 'user-agent': userAgent };
        if (body) headers['content-type'] = body.contentType;
        const response = await dispatcher.request({
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method,
          headers,
          body: body?.text,
          signal: deadline.signal,
        });
        status = response.statusCode;
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          received += chunk.length;
          chunks.push(chunk);
          if (received > maxResponseBytes) {
            // Stop reading at once: the rest of the body is never buffered, and the connection is dropped.
            response.body.destroy();
            return failure('too_large', `the response body exceeds ${maxResponseBytes} bytes`, elapsed(), partialResponse());
          }
        }
        return { ok: true, status, body: Buffer.concat(chunks).toString('utf8'), latencyMs: elapsed() };
      } catch (error) {
        return failure(codeOfError(error), messageOfError(error), elapsed(), partialResponse());
      }
    };

    // The deadline races the exchange instead of trusting the abort to end it: undici only acts on an abort once a
    // queued request reaches a socket, so a request still waiting for a connection would outlive its deadline. The
    // abort still matters: it stops that request from being sent later, and ends a response being read.
    let timer: NodeJS.Timeout | undefined;
    const deadlinePassed = new Promise<OutboundFailure>((resolve) => {
      timer = setTimeout(() => {
        deadline.abort(new Error(`the ${totalTimeoutMs} ms deadline passed`));
        resolve(
          connected
            ? failure('timeout', `no complete response within ${totalTimeoutMs} ms`, elapsed(), partialResponse())
            : failure('connect_timeout', `no connection within the ${totalTimeoutMs} ms deadline`, elapsed(), partialResponse()),
        );
      }, totalTimeoutMs);
    });
    try {
      return await Promise.race([transfer(), deadlinePassed]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    post: (url, body, requestOptions = {}) =>
      exchange('POST', url, requestOptions.query, { text: body, contentType: requestOptions.contentType ?? DEFAULT_POST_CONTENT_TYPE }),
    get: (url, requestOptions = {}) => exchange('GET', url, requestOptions.query),
    close: () => agent.close(),
  };
}
