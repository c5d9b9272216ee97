import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutboundHttp, FIRST_BYTES_FOR_LOGS, isForbiddenAddress, type OutboundHttp, type OutboundHttpOptions, type OutboundResult } from '../../src/modules/webhooks/outbound-http.js';

/**
 * The outbound client against real servers on this machine's loopback, each started on port 0 by the test that
 * needs it. They listen on `::`, which also accepts IPv4 (127.0.0.1, 0.0.0.0, ::ffff:127.0.0.1), so one server
 * stands behind every loopback spelling of a URL.
 */

interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface TestServer {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: SeenRequest[];
  connections: number;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function client(options: Partial<OutboundHttpOptions> = {}): OutboundHttp {
  const http = createOutboundHttp({ allowPrivateAddresses: true, ...options });
  cleanups.push(() => http.close());
  return http;
}

async function httpServer(respond: (request: SeenRequest, response: ServerResponse) => void): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen = { method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(seen);
      respond(seen, response);
    });
  });
  const state = { connections: 0 };
  server.on('connection', (socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '::', resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    get connections() {
      return state.connections;
    },
  };
}

/** A bare TCP server whose behaviour on each connection the test decides (silence, a reset). */
async function tcpServer(onConnection: (socket: Socket) => void): Promise<{ port: number; url: string }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port, url: `http://127.0.0.1:${port}` };
}

/**
 * A port whose TCP handshake never completes: a listener with a backlog of 1 in a worker thread whose event loop is
 * blocked, so it never accepts; once a few connections fill its accept queue, the kernel drops every later SYN.
 * (A backlog of 0 would not do: Node takes it for "unset" and uses 511.)
 */
async function unansweredPort(): Promise<number> {
  const release = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const server = require('node:net').createServer();
     server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       Atomics.wait(workerData, 0, 0, 60000);
       server.close();
     });`,
    { eval: true, workerData: release },
  );
  const port = await new Promise<number>((resolve, reject) => worker.once('message', resolve).once('error', reject));
  const fillers = [0, 1, 2, 3].map(() => connect(port, '127.0.0.1').on('error', () => {}));
  await new Promise((resolve) => setTimeout(resolve, 100));
  cleanups.push(async () => {
    for (const filler of fillers) filler.destroy();
    Atomics.store(release, 0, 1);
    Atomics.notify(release, 0);
    await worker.terminate();
  });
  return port;
}

function errorCodeOf(result: OutboundResult): string {
  return result.ok ? `ok ${result.status}` : result.error.code;
}

function okResult(result: OutboundResult) {
  if (!result.ok) throw new Error(`expected a response, got ${result.error.code}: ${result.error.message}`);
  return result;
}

describe('responses', () => {
  it('returns the status and body of a 200', async () => {
    const server = await httpServer((_request, response) => response.end('<xml><MsgType><![CDATA[text]]></MsgType></xml>'));
    const result = okResult(await client().get(`${server.url}/wx`));
    expect(result.status).toBe(200);
    expect(result.body).toBe('<xml><MsgType><![CDATA[text]]></MsgType></xml>');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('returns a 500 as a response (ok) with its body: what a status means is the caller’s decision', async () => {
    const server = await httpServer((_request, response) => {
      response.statusCode = 500;
      response.end('internal error');
    });
    const result = okResult(await client().post(`${server.url}/wx`, '<xml/>'));
    expect(result.status).toBe(500);
    expect(result.body).toBe('internal error');
  });

  it('appends query parameters to the URL’s own query, percent-encoded, leaving the existing query as it was', async () => {
    const server = await httpServer((request, response) => response.end(request.url));
    const result = okResult(
      await client().get(`${server.url}/wx/callback?app=a%20b&x=1`, {
        query: { signature: 'f'.repeat(40), timestamp: '1409735669', echostr: 'a b&c=d+é', 'odd key': '?' },
      }),
    );
    expect(result.body).toBe(
      `/wx/callback?app=a%20b&x=1&signature=${'f'.repeat(40)}&timestamp=1409735669&echostr=a%20b%26c%3Dd%2B%C3%A9&odd%20key=%3F`,
    );

    const withoutQuery = okResult(await client().get(`${server.url}/wx`, { query: { nonce: '42' } }));
    expect(withoutQuery.body).toBe('/wx?nonce=42');
  });

  it('POSTs the body as UTF-8 with text/xml by default, or the content type it is given', async () => {
    const server = await httpServer((_request, response) => response.end('success'));
    const http = client({ userAgent: 'oa-platform-test' });
    const xml = '<xml><Content><![CDATA[你好]]></Content></xml>';

    okResult(await http.post(`${server.url}/wx`, xml));
    okResult(await http.post(`${server.url}/wx`, '{"a":1}', { contentType: 'application/json' }));

    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests as [SeenRequest, SeenRequest];
    expect(first).toMatchObject({ method: 'POST', url: '/wx', body: xml });
    expect(first.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(first.headers['content-length']).toBe(String(Buffer.byteLength(xml)));
    expect(first.headers['user-agent']).toBe('oa-platform-test');
    expect(second.headers['content-type']).toBe('application/json');
    expect(second.body).toBe('{"a":1}');
  });

  it('reuses kept-alive connections for consecutive requests to the same server', async () => {
    const server = await httpServer((_request, response) => response.end('success'));
    const http = client();
    for (let push = 0; push < 20; push += 1) okResult(await http.post(`${server.url}/wx`, '<xml/>'));
    expect(server.requests).toHaveLength(20);
    // undici's pool may open a second socket when the next request is dispatched just before the first socket is
    // released; after that the two are reused, never one per request.
    expect(server.connections).toBeLessThanOrEqual(2);
  });

  it('returns a 302 as it is and never requests its Location', async () => {
    const target = await httpServer((_request, response) => response.end('followed'));
    const redirecting = await httpServer((_request, response) => {
      response.writeHead(302, { location: `${target.url}/elsewhere` });
      response.end();
    });
    const result = okResult(await client().post(`${redirecting.url}/wx`, '<xml/>'));
    expect(result.status).toBe(302);
    expect(redirecting.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);
  });
});

describe('failures', () => {
  it('gives up on a server that accepts and never answers at the total deadline, and keeps working after', async () => {
    const silent = await tcpServer(() => {});
    const http = client({ totalTimeoutMs: 300 });

    const result = await http.post(`${silent.url}/wx`, '<xml/>');
    expect(errorCodeOf(result)).toBe('timeout');
    expect(result.latencyMs).toBeGreaterThanOrEqual(290);
    expect(result.latencyMs).toBeLessThan(2_000);

    const server = await httpServer((_request, response) => response.end('success'));
    expect(okResult(await http.post(`${server.url}/wx`, '<xml/>')).body).toBe('success');
  });

  it('times out a response whose body stalls halfway, and keeps the bytes that came for the log', async () => {
    const server = await httpServer((_request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('<xml><partial');
    });
    const result = await client({ totalTimeoutMs: 300 }).get(`${server.url}/wx`);
    expect(result).toMatchObject({ ok: false, error: { code: 'timeout' }, status: 200, firstBytes: '<xml><partial' });
  });

  it('reports a handshake that never completes as connect_timeout, at the total deadline or at connectTimeoutMs', async () => {
    const port = await unansweredPort();

    const atDeadline = await client({ connectTimeoutMs: 5_000, totalTimeoutMs: 300 }).get(`http://127.0.0.1:${port}/wx`);
    expect(errorCodeOf(atDeadline)).toBe('connect_timeout');
    expect(atDeadline.latencyMs).toBeGreaterThanOrEqual(290);
    expect(atDeadline.latencyMs).toBeLessThan(1_000);

    // undici's connect timer runs on a coarse clock (up to a second late), hence the generous bound.
    const atConnectTimeout = await client({ connectTimeoutMs: 100, totalTimeoutMs: 10_000 }).get(`http://127.0.0.1:${port}/wx`);
    expect(errorCodeOf(atConnectTimeout)).toBe('connect_timeout');
    expect(atConnectTimeout.latencyMs).toBeLessThan(3_000);
  });

  it('reports a server that closes the connection on connect as connection_reset', async () => {
    const closing = await tcpServer((socket) => socket.destroy());
    const result = await client().post(`${closing.url}/wx`, '<xml/>');
    expect(errorCodeOf(result)).toBe('connection_reset');
  });

  it('reports a server that resets (RST) the connection after reading the request as connection_reset', async () => {
    const resetting = await tcpServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const result = await client().post(`${resetting.url}/wx`, '<xml/>');
    expect(errorCodeOf(result)).toBe('connection_reset');
  });

  it('reports a closed port as connection_refused', async () => {
    const server = await new Promise<ReturnType<typeof createTcpServer>>((resolve) => {
      const listening = createTcpServer().listen(0, '127.0.0.1', () => resolve(listening));
    });
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const result = await client().get(`http://127.0.0.1:${port}/wx`);
    expect(errorCodeOf(result)).toBe('connection_refused');
  });

  it('stops reading a body over maxResponseBytes, quickly, with the status and the first bytes for the log', async () => {
    const megabyte = 1024 * 1024;
    const server = await httpServer((_request, response) => {
      response.on('error', () => {});
      response.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      let sent = 0;
      const writeMore = () => {
        while (sent < megabyte) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', writeMore);
        }
        response.end();
      };
      writeMore();
    });

    const result = await client({ maxResponseBytes: 1024 }).get(`${server.url}/big`);
    expect(result).toMatchObject({ ok: false, error: { code: 'too_large' }, status: 200 });
    expect(result.ok ? undefined : result.firstBytes).toBe('x'.repeat(FIRST_BYTES_FOR_LOGS));
    expect(result.latencyMs).toBeLessThan(1_000);
  });

  it('refuses URLs that are not http(s), do not parse, or carry credentials, as invalid_url', async () => {
    const http = client();
    for (const url of ['ftp://x', 'not a url', 'http://user:pw@127.0.0.1/', 'javascript:alert(1)', 'file:///etc/passwd', 'http://user@127.0.0.1/']) {
      expect(errorCodeOf(await http.get(url)), url).toBe('invalid_url');
    }
  });

  it('reports a host that does not resolve as dns_failed', async () => {
    // .invalid is reserved never to resolve (RFC 6761), with or without internet access.
    expect(errorCodeOf(await client().get('http://does-not-exist.invalid/'))).toBe('dns_failed');
    expect(errorCodeOf(await client({ allowPrivateAddresses: false }).get('http://does-not-exist.invalid/'))).toBe('dns_failed');
  });
});

describe('private and reserved destinations', () => {
  const loopbackSpellings = (port: number) => [
    `http://127.0.0.1:${port}/wx`,
    `http://127.1.2.3:${port}/wx`,
    `http://localhost:${port}/wx`,
    `http://[::1]:${port}/wx`,
    `http://0.0.0.0:${port}/wx`,
    `http://[::ffff:127.0.0.1]:${port}/wx`,
    `http://0x7f.1:${port}/wx`,
    `http://2130706433:${port}/wx`,
  ];

  it('refuses every loopback spelling, a name resolving to loopback and internal networks; the server sees nothing', async () => {
    const server = await httpServer((_request, response) => response.end('reached'));
    const http = client({ allowPrivateAddresses: false });
    for (const url of [...loopbackSpellings(server.port), 'http://169.254.169.254/latest/meta-data/', 'http://10.1.2.3/', 'http://[fe80::1]/', 'http://100.64.0.1/']) {
      const result = await http.post(url, '<xml/>');
      expect(errorCodeOf(result), url).toBe('forbidden_address');
    }
    expect(server.requests).toHaveLength(0);
    expect(server.connections).toBe(0);
  });

  it('refuses a name on the address it resolves to, saying which', async () => {
    const server = await httpServer((_request, response) => response.end('reached'));
    const result = await client({ allowPrivateAddresses: false }).get(`http://localhost:${server.port}/wx`);
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden_address' } });
    expect(result.ok ? '' : result.error.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1)/);
    expect(server.connections).toBe(0);
  });

  it('reaches the same loopback URLs when private addresses are allowed', async () => {
    const server = await httpServer((_request, response) => response.end('reached'));
    const http = client({ allowPrivateAddresses: true });
    const urls = loopbackSpellings(server.port);
    for (const url of urls) {
      const result = await http.post(url, '<xml/>');
      expect(result.ok ? result.body : result.error, url).toBe('reached');
    }
    expect(server.requests).toHaveLength(urls.length);
  });
});

describe('isForbiddenAddress', () => {
  const forbidden = [
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '169.254.0.1',
    '0.0.0.0',
    '0.1.2.3',
    '100.64.0.1',
    '100.127.255.255',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    '192.0.0.192',
    '::',
    '::1',
    'fc00::1',
    'fd12:3456:789a::1',
    'fe80::1',
    'fe80::1%eth0',
    'febf:ffff::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:0:0',
    '::127.0.0.1',
    '::ffff:0:a00:1',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b::127.0.0.1',
    '64:ff9b:1::808:808',
    '2002:7f00:1::',
    '2002:c0a8:101::1',
    '2001:0:a00:1::',
    '2001:0:4136:e378:8000:63bf:80ff:fffe',
    'not an address',
    '',
    'localhost',
  ];
  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '203.0.112.255',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.255.255',
    '11.0.0.1',
    '223.255.255.255',
    '2001:4860:4860::8888',
    '2606:4700:4700::1111',
    '240e::1',
    'fbff::1',
    '2400:cb00::1',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
  ];

  it.each(forbidden)('forbids %s', (address) => expect(isForbiddenAddress(address)).toBe(true));
  it.each(allowed)('allows %s', (address) => expect(isForbiddenAddress(address)).toBe(false));
});
