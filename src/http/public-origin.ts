import { AppError } from '../errors.js';

/**
 * The public origin of this server (`https://mp.example.com`) for the URLs it hands out and stores in messages and
 * QR codes: PUBLIC_URL when set (behind a proxy the request's own origin is the proxy's view), else the origin the
 * request came to. The Host header is the client's to write, so it must be a plain host: a name, an IPv4 or a
 * bracketed IPv6 address, and a port, nothing else.
 */
export function publicOrigin(request: { protocol: string; host: string }, publicUrl: string | undefined): string {
  if (publicUrl !== undefined) return publicUrl;
  if (!/^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$/.test(request.host)) {
    throw new AppError('VALIDATION_FAILED', 'The Host header is not a host name: set PUBLIC_URL, or call with a proper Host');
  }
  return `${request.protocol}://${request.host}`;
}
