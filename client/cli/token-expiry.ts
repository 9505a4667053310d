/** Why a token was refused, from the token itself: an expired JWT says when it expired. */
import { jwtExpiry } from '../sdk/token-jwt.ts';

/**
 * The line for a 401: `token expired at <time> (<n> min ago)` when the token is a JWT past its
 * `exp`, else that the server refused it. Both say how to get a new one.
 */
export function unauthorizedLine(token: string | undefined, now: number = Date.now()): string {
  const fix = 'sign in again (upload-api login) or pass a new --token';
  const expiry = jwtExpiry(token);
  if (expiry !== undefined && expiry <= now)
    return `token expired at ${new Date(expiry).toISOString()} (${ago(now - expiry)} ago); ${fix}`;
  if (token === undefined) return `no token was sent; ${fix}`;
  return `the server refused the token (HTTP 401); ${fix}`;
}

function ago(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.max(0, Math.floor(ms / 1000))} s`;
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} days`;
}
