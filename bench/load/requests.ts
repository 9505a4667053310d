/**
 * The generator's requests: each one is timed and recorded in the route stats, and turned into
 * the answer's `data` or a thrown error. Nothing is retried: every failure is counted.
 */
import { createHash } from 'node:crypto';
import { isLoopbackUrl } from './loopback.ts';
import { OK, type RouteKey, type RouteStats } from './stats.ts';

export interface RequestContext {
  /** The API base, ending in /api/v1. */
  readonly baseUrl: string;
  readonly stats: RouteStats;
  /** Aborted when the run stops (deadline or caller): in-flight requests are abandoned. */
  readonly signal: AbortSignal;
  readonly bytes: { uploaded: number; downloaded: number };
}

/** A request answered with an error (or not answered for another reason than the stop). */
export class RequestFailed extends Error {
  override readonly name = 'RequestFailed';
  constructor(
    readonly route: RouteKey,
    readonly key: string,
    detail?: string,
  ) {
    super(`${route}: ${key}${detail ? ` (${detail})` : ''}`);
  }
}

/** The run was stopped while this request was in flight. */
export class RunStopped extends Error {
  override readonly name = 'RunStopped';
}

function failure(ctx: RequestContext, route: RouteKey, started: number, error: unknown): never {
  if (ctx.signal.aborted) {
    ctx.stats.record(route, performance.now() - started, { kind: 'aborted' });
    throw new RunStopped(`stopped during ${route}`);
  }
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  const key = `network ${cause ?? (error as Error).name}`;
  ctx.stats.record(route, performance.now() - started, { kind: 'error', key });
  throw new RequestFailed(route, key, (error as Error).message);
}

function refuse(ctx: RequestContext, route: RouteKey, url: string): never {
  const key = 'REFUSED_NOT_LOOPBACK';
  ctx.stats.record(route, 0, { kind: 'error', key });
  throw new RequestFailed(route, key, url);
}

export interface ApiCall {
  readonly route: RouteKey;
  readonly method: string;
  readonly path: string;
  readonly token: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** Calls the API; returns the success envelope (`data`, or `message` for cancel). */
// biome-ignore lint/suspicious/noExplicitAny: the caller checks the fields it relies on
export async function callApi(ctx: RequestContext, call: ApiCall): Promise<any> {
  const started = performance.now();
  let status: number;
  let text: string;
  try {
    const response = await fetch(`${ctx.baseUrl}${call.path}`, {
      method: call.method,
      headers: {
        authorization: `Bearer ${call.token}`,
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...call.headers,
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: ctx.signal,
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    failure(ctx, call.route, started, error);
  }
  const latency = performance.now() - started;
  let envelope: { success?: boolean; error?: { code?: string; message?: string } } | undefined;
  try {
    envelope = text ? JSON.parse(text) : undefined;
  } catch {
    envelope = undefined;
  }
  if (status >= 200 && status < 300 && envelope?.success === true) {
    ctx.stats.record(call.route, latency, OK);
    return envelope;
  }
  const key = `${status} ${envelope?.error?.code ?? 'NO_ENVELOPE'}`;
  ctx.stats.record(call.route, latency, { kind: 'error', key });
  throw new RequestFailed(call.route, key, envelope?.error?.message);
}

export interface SignedChunk {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
}

const storageKey = (status: number, body: string) =>
  `${status} ${/<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? 'storage'}`;

/** PUTs a chunk to its presigned URL; returns the ETag storage answered with. */
export async function putToStorage(
  ctx: RequestContext,
  chunk: SignedChunk,
  bytes: Uint8Array,
): Promise<string> {
  const route = 'storagePut';
  if (!isLoopbackUrl(chunk.url)) refuse(ctx, route, chunk.url);
  const started = performance.now();
  let status: number;
  let etag: string | null;
  let text: string;
  try {
    const response = await fetch(chunk.url, {
      method: chunk.method,
      headers: chunk.headers,
      body: bytes as Uint8Array<ArrayBuffer>,
      signal: ctx.signal,
    });
    status = response.status;
    etag = response.headers.get('etag');
    text = await response.text();
  } catch (error) {
    failure(ctx, route, started, error);
  }
  const latency = performance.now() - started;
  if (status !== 200 || !etag) {
    const key = etag ? storageKey(status, text) : `${status} NO_ETAG`;
    ctx.stats.record(route, latency, { kind: 'error', key });
    throw new RequestFailed(route, key);
  }
  ctx.stats.record(route, latency, OK);
  ctx.bytes.uploaded += bytes.length;
  return etag;
}

/** GETs an object from its presigned URL, hashing it as it streams; never holds it whole. */
export async function downloadSha256(
  ctx: RequestContext,
  url: string,
): Promise<{ sha256: string; bytes: number }> {
  const route = 'storageGet';
  if (!isLoopbackUrl(url)) refuse(ctx, route, url);
  const started = performance.now();
  const hash = createHash('sha256');
  let bytes = 0;
  let status: number;
  let text = '';
  try {
    const response = await fetch(url, { signal: ctx.signal });
    status = response.status;
    if (status === 200 && response.body) {
      const reader = response.body.getReader();
      for (let part = await reader.read(); !part.done; part = await reader.read()) {
        hash.update(part.value);
        bytes += part.value.length;
      }
    } else {
      text = await response.text();
    }
  } catch (error) {
    failure(ctx, route, started, error);
  }
  const latency = performance.now() - started;
  if (status !== 200) {
    const key = storageKey(status, text);
    ctx.stats.record(route, latency, { kind: 'error', key });
    throw new RequestFailed(route, key);
  }
  ctx.stats.record(route, latency, OK);
  ctx.bytes.downloaded += bytes;
  return { sha256: hash.digest('hex'), bytes };
}
