import { isIP } from 'node:net';

/**
 * True when the URL's host is this machine: `localhost`, an address in 127.0.0.0/8, or ::1.
 * Host names other than `localhost` are refused even if they resolve to loopback: the check
 * must not depend on DNS.
 */
export function isLoopbackUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  const host = parsed.hostname.toLowerCase();
  if (host === 'localhost') return true;
  if (host === '[::1]') return true;
  return isIP(host) === 4 && host.split('.')[0] === '127';
}

export class NotLoopbackError extends Error {
  override readonly name = 'NotLoopbackError';
}

export function assertLoopback(url: string, what: string): void {
  if (!isLoopbackUrl(url))
    throw new NotLoopbackError(
      `${what} must be a loopback URL (localhost, 127.0.0.0/8 or [::1]), got ${url}`,
    );
}
