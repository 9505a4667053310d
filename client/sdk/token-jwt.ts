/**
 * Reading a bearer token's expiry without verifying it: only to know when to refresh it and to
 * say "expired" when the server refuses it. Browser-safe (atob, TextDecoder).
 */

/** The `exp` claim of a JWT in ms since the epoch; undefined for a token that is not a JWT. */
export function jwtExpiry(token: string | undefined): number | undefined {
  const parts = token?.split('.');
  if (parts?.length !== 3 || !parts[1]) return undefined;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
