import type { TokenRequest } from './api.ts';

/** A token as a source hands it out. */
export interface FreshToken {
  readonly token: string;
  /** When it stops working, in ms since the epoch; undefined: until the server refuses it. */
  readonly expiresAt?: number | undefined;
}

export interface CachedTokenOptions {
  /** Get a new token this long before expiry (default 5 minutes; at most half its lifetime). */
  readonly refreshBeforeMs?: number;
  /** After a failed early refresh, keep the still-valid token this long before trying again. */
  readonly retryAfterFailureMs?: number;
  readonly now?: () => number;
}

/** A token function for `UploadApiClient`/`upload`: `token: provider`. */
export type TokenFunction = (request?: TokenRequest) => Promise<string>;

interface Cached {
  readonly token: string;
  readonly expiresAt: number;
  refreshAt: number;
}

export const DEFAULT_REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * A token function over any source of tokens: hands out the cached token, gets a new one when it
 * is within `refreshBeforeMs` of expiry or when the server refused it (`forceRefresh`), and lets
 * concurrent callers share one refresh. A failed early refresh keeps the token while it is valid.
 */
export function cachedTokenProvider(
  fetchToken: () => Promise<FreshToken>,
  options: CachedTokenOptions = {},
): TokenFunction {
  const refreshBefore = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  const retryAfterFailure = options.retryAfterFailureMs ?? 15_000;
  const now = options.now ?? Date.now;
  let current: Cached | undefined;
  let inFlight: Promise<string> | undefined;

  const refresh = (): Promise<string> => {
    inFlight ??= (async () => {
      const askedAt = now();
      const fresh = await fetchToken();
      const expiresAt = fresh.expiresAt ?? Number.POSITIVE_INFINITY;
      const margin = Math.min(refreshBefore, Math.max(0, (expiresAt - askedAt) / 2));
      current = { token: fresh.token, expiresAt, refreshAt: expiresAt - margin };
      return fresh.token;
    })().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return async (request) => {
    if (request?.forceRefresh) {
      if (inFlight) return inFlight;
      const rejected = request.rejectedToken;
      if (current && rejected !== undefined && rejected !== current.token) return current.token;
      current = undefined;
      return refresh();
    }
    if (inFlight) return inFlight;
    const cached = current;
    if (!cached) return refresh();
    const time = now();
    if (time < cached.refreshAt) return cached.token;
    if (time >= cached.expiresAt) return refresh();
    try {
      return await refresh();
    } catch {
      cached.refreshAt = Math.min(time + retryAfterFailure, cached.expiresAt);
      return cached.token;
    }
  };
}
