export interface RetryOptions {
  /** Retries after the first attempt (default 6). */
  readonly retries?: number;
  /** First backoff ceiling in ms (default 200); it doubles per attempt. */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling in ms (default 10 000). */
  readonly maxDelayMs?: number;
  /** Largest Retry-After honoured, in ms (default 60 000). */
  readonly maxRetryAfterMs?: number;
}

/** Kept apart from RetryOptions so that `Required<RetryOptions>` stays plain numbers. */
export interface RetryHooks {
  /** Told about every retry, before its delay (tasks forward it as their `retry` event). */
  readonly onRetry?: (event: RetryEvent) => void;
}

/** One retry of a request: the failure it answers and the wait before the next attempt. */
export interface RetryEvent {
  /** 1 for the first retry. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: Error;
}

export type ResolvedRetryOptions = Required<RetryOptions> & RetryHooks;

export const DEFAULT_RETRY: ResolvedRetryOptions = {
  retries: 6,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

export const resolveRetry = (
  options: (RetryOptions & RetryHooks) | undefined,
): ResolvedRetryOptions => ({
  ...DEFAULT_RETRY,
  ...Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined)),
});

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(max, base * 2^attempt)).
 * `attempt` counts from 0 for the first retry.
 */
export function backoffDelay(
  attempt: number,
  options: Pick<ResolvedRetryOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/**
 * A Retry-After header in ms: delta-seconds (`"2"`, `"0"`) or an HTTP date; undefined when
 * absent or unreadable. A date in the past is 0.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date starts with the day name; anything else (`-1`, `1.5`, `10s`) is malformed.
  if (!/^[A-Za-z]{3},/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * How long to wait before retry number `attempt`: jittered backoff, on top of Retry-After when
 * given. Retry-After is a floor, not the delay: an overloaded API tells every client the same
 * seconds, and clients that all came back on that second would overload it again.
 */
export function retryDelay(
  attempt: number,
  retryAfter: string | null | undefined,
  options: ResolvedRetryOptions,
  random: () => number = Math.random,
  nowMs: number = Date.now(),
): number {
  const told = parseRetryAfter(retryAfter, nowMs);
  const floor = told === undefined ? 0 : Math.min(told, options.maxRetryAfterMs);
  return floor + backoffDelay(attempt, options, random);
}

/**
 * Waits before retry number `attempt` (from 0), as `retryDelay` says, after telling
 * `options.onRetry` about it. Rejects with the signal's reason as soon as it aborts.
 */
export async function waitToRetry(
  attempt: number,
  retryAfter: string | null | undefined,
  error: unknown,
  options: ResolvedRetryOptions,
  signal?: AbortSignal,
): Promise<void> {
  const delayMs = retryDelay(attempt, retryAfter, options);
  announceRetry(options, { attempt: attempt + 1, delayMs, error: asError(error) });
  await sleep(delayMs, signal);
}

/** Tells `onRetry` about a retry; a throwing listener never breaks the request. */
export function announceRetry(options: RetryHooks, event: RetryEvent): void {
  try {
    options.onRetry?.(event);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

const asError = (value: unknown): Error =>
  value instanceof Error ? value : new Error(String(value), { cause: value });

/** Statuses worth retrying unchanged: timeouts, throttling and server errors. */
export const isRetryableStatus = (status: number): boolean =>
  status === 408 || status === 429 || status >= 500;

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
