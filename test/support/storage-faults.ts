import { expect } from 'vitest';
import type { ApiResponse } from './api-client.ts';
import {
  networkError,
  type SdkCall,
  type SdkHooks,
  type Service,
  serviceError,
} from './sdk-hooks.ts';

/** A storage outage as the adapters see it from the SDK, per service. */
export interface Outage {
  readonly name: string;
  error(service: Service): Error;
}

const timeoutError = () =>
  Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });

export const OUTAGES: readonly Outage[] = [
  {
    name: 'throttling',
    error: (s) =>
      s === 'dynamodb' ? serviceError('ThrottlingException', 400) : serviceError('SlowDown', 503),
  },
  {
    name: 'over capacity',
    error: (s) =>
      s === 'dynamodb'
        ? serviceError('ProvisionedThroughputExceededException', 400)
        : serviceError('ServiceUnavailable', 503),
  },
  {
    name: 'server error',
    error: (s) =>
      s === 'dynamodb'
        ? serviceError('InternalServerError', 500)
        : serviceError('InternalError', 500),
  },
  { name: 'ECONNREFUSED', error: () => networkError('ECONNREFUSED') },
  { name: 'ECONNRESET', error: () => networkError('ECONNRESET') },
  { name: 'ETIMEDOUT', error: () => networkError('ETIMEDOUT') },
  { name: 'TimeoutError', error: timeoutError },
];

/** Commands the API only presigns (they run the middleware stack but never reach the network). */
const PRESIGN_ONLY = new Set(['UploadPartCommand', 'GetObjectCommand']);

/** The calls that really go to storage, as `service:Command` labels. */
export const storageCalls = (calls: readonly SdkCall[]): string[] =>
  calls.filter((c) => !PRESIGN_ONLY.has(c.command)).map((c) => `${c.service}:${c.command}`);

/**
 * Fails the `index`-th storage call (0-based, presigns not counted) with `error` before it is
 * sent, or, with `afterSend`, after storage has applied it (the answer is lost).
 */
export function failCall(
  hooks: SdkHooks,
  index: number,
  error: (call: SdkCall) => Error,
  options: { afterSend?: boolean } = {},
): void {
  let seen = 0;
  hooks.use(async (call, send) => {
    if (PRESIGN_ONLY.has(call.command) || seen++ !== index) return send();
    if (options.afterSend) await send();
    throw error(call);
  });
}

/** Fails every call matching `match` (before it is sent) until the returned function is called. */
export function failWhile(hooks: SdkHooks, match: (call: SdkCall) => boolean, error: () => Error) {
  return hooks.use(async (call, send) => {
    if (match(call)) throw error();
    return send();
  });
}

/** 503 STORAGE_UNAVAILABLE with Retry-After, and nothing leaked in the message. */
export function expectUnavailable(res: ApiResponse): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({
    status: 503,
    code: 'STORAGE_UNAVAILABLE',
  });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expectSafeError(res);
}

/** A failure envelope whose message reveals no stack, request id or SDK internals. */
export function expectSafeError(res: ApiResponse): void {
  expect(res.body.success).toBe(false);
  expect(typeof res.body.error.message).toBe('string');
  expect(JSON.stringify(res.body)).not.toMatch(
    /\n\s+at |RequestId|node_modules|injected|ECONN|ETIMEDOUT/,
  );
}
