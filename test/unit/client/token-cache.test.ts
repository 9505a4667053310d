import { describe, expect, it } from 'vitest';
import { cachedTokenProvider, type FreshToken } from '../../../client/sdk/token-cache.ts';

const MINUTE = 60_000;

/** A token source handing out t1, t2, ... each valid for `lifetimeMs` from the fake clock. */
/** `lifetimeMs` null: tokens without expiry. */
function source(clock: { now: number }, lifetimeMs: number | null = 60 * MINUTE) {
  let n = 0;
  const calls = { count: 0 };
  const fetchToken = async (): Promise<FreshToken> => {
    calls.count++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return {
      token: `t${++n}`,
      expiresAt: lifetimeMs === null ? undefined : clock.now + lifetimeMs,
    };
  };
  return { fetchToken, calls };
}

describe('cachedTokenProvider', () => {
  it('hands out the cached token until 5 minutes before expiry, then refreshes', async () => {
    // Prepare
    const clock = { now: 0 };
    const { fetchToken, calls } = source(clock);
    const token = cachedTokenProvider(fetchToken, { now: () => clock.now });
    // Act / Assess
    expect(await token()).toBe('t1');
    clock.now = 54 * MINUTE;
    expect(await token()).toBe('t1');
    clock.now = 55 * MINUTE;
    expect(await token()).toBe('t2');
    expect(calls.count).toBe(2);
  });

  it('refreshes halfway through a lifetime shorter than twice the margin', async () => {
    const clock = { now: 0 };
    const { fetchToken } = source(clock, 4 * MINUTE);
    const token = cachedTokenProvider(fetchToken, { now: () => clock.now });
    expect(await token()).toBe('t1');
    clock.now = 2 * MINUTE - 1;
    expect(await token()).toBe('t1');
    clock.now = 2 * MINUTE;
    expect(await token()).toBe('t2');
  });

  it('lets concurrent callers share one refresh', async () => {
    const clock = { now: 0 };
    const { fetchToken, calls } = source(clock);
    const token = cachedTokenProvider(fetchToken, { now: () => clock.now });
    expect(await Promise.all([token(), token(), token()])).toEqual(['t1', 't1', 't1']);
    clock.now = 58 * MINUTE;
    expect(await Promise.all([token(), token(), token()])).toEqual(['t2', 't2', 't2']);
    expect(calls.count).toBe(2);
  });

  it('refreshes once for concurrent 401s, and not again for a token already replaced', async () => {
    const clock = { now: 0 };
    const { fetchToken, calls } = source(clock);
    const token = cachedTokenProvider(fetchToken, { now: () => clock.now });
    expect(await token()).toBe('t1');
    const forced = { forceRefresh: true, rejectedToken: 't1' };
    expect(await Promise.all([token(forced), token(forced)])).toEqual(['t2', 't2']);
    // a request sent with t1 before the refresh, refused after it: t2 is fine
    expect(await token(forced)).toBe('t2');
    expect(calls.count).toBe(2);
    // t2 refused: a new one
    expect(await token({ forceRefresh: true, rejectedToken: 't2' })).toBe('t3');
    expect(await token({ forceRefresh: true })).toBe('t4');
  });

  it('keeps a token without expiry until it is refused', async () => {
    const clock = { now: 0 };
    const { fetchToken, calls } = source(clock, null);
    const token = cachedTokenProvider(fetchToken, { now: () => clock.now });
    expect(await token()).toBe('t1');
    clock.now = 1e12;
    expect(await token()).toBe('t1');
    expect(await token({ forceRefresh: true, rejectedToken: 't1' })).toBe('t2');
    expect(calls.count).toBe(2);
  });

  it('keeps a still-valid token when an early refresh fails, and tries again later', async () => {
    const clock = { now: 0 };
    let fail = false;
    let n = 0;
    const token = cachedTokenProvider(
      async () => {
        if (fail) throw new Error('network down');
        return { token: `t${++n}`, expiresAt: clock.now + 60 * MINUTE };
      },
      { now: () => clock.now, retryAfterFailureMs: 10_000 },
    );
    expect(await token()).toBe('t1');
    fail = true;
    clock.now = 56 * MINUTE;
    expect(await token()).toBe('t1');
    fail = false;
    clock.now += 5_000;
    expect(await token()).toBe('t1'); // not before retryAfterFailureMs
    clock.now += 5_000;
    expect(await token()).toBe('t2');
  });

  it('fails when the token has expired and no new one can be had', async () => {
    const clock = { now: 0 };
    let fail = false;
    const token = cachedTokenProvider(
      async () => {
        if (fail) throw new Error('refresh refused');
        return { token: 't1', expiresAt: clock.now + 60 * MINUTE };
      },
      { now: () => clock.now },
    );
    await token();
    fail = true;
    clock.now = 60 * MINUTE;
    await expect(token()).rejects.toThrow('refresh refused');
    await expect(token({ forceRefresh: true })).rejects.toThrow('refresh refused');
    fail = false;
    expect(await token()).toBe('t1');
  });

  it('does not keep a failed refresh in flight (a throwing source is asked again)', async () => {
    let calls = 0;
    const token = cachedTokenProvider(() => {
      calls++;
      throw new Error(`failure ${calls}`);
    });
    await expect(token()).rejects.toThrow('failure 1');
    await expect(token()).rejects.toThrow('failure 2');
  });
});
