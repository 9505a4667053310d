import { describe, type FetchLike } from './api.ts';
import { UploadStorageError } from './errors.ts';
import { expiresSoon } from './plan.ts';
import {
  announceRetry,
  isRetryableStatus,
  type ResolvedRetryOptions,
  waitToRetry,
} from './retry.ts';
import type { ChunkUrl } from './types.ts';

export interface PutChunk {
  readonly chunkNumber: number;
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly signed: ChunkUrl;
  /** A fresh URL for this chunk (after a 403, or when the URL is about to expire). */
  readonly resign: () => Promise<ChunkUrl | undefined>;
  readonly fetch: FetchLike;
  readonly retry: ResolvedRetryOptions;
  readonly signal: AbortSignal;
  readonly now: () => number;
}

/** PUTs one chunk until storage takes it (re-signing after a 403); resolves to its ETag. */
export async function putChunk(input: PutChunk): Promise<string> {
  const { chunkNumber: n, signal } = input;
  let current = input.signed;
  for (let attempt = 0; ; attempt++) {
    if (expiresSoon(current.expiresAt, input.now())) current = (await input.resign()) ?? current;
    let error: UploadStorageError;
    let retryAfter: string | null = null;
    let resign = false;
    try {
      const response = await input.fetch(current.url, {
        method: current.method,
        headers: current.headers,
        body: input.bytes,
        signal,
      });
      if (response.ok) {
        const etag = response.headers.get('etag');
        await response.arrayBuffer().catch(() => undefined);
        if (etag) return etag;
        throw new UploadStorageError(
          `storage stored chunk ${n} but sent no ETag (is ETag an exposed CORS header?)`,
          response.status,
          n,
        );
      }
      const text = await response.text().catch(() => '');
      error = new UploadStorageError(
        `storage refused chunk ${n}: HTTP ${response.status}${s3Code(text)}`,
        response.status,
        n,
      );
      // 403: the URL expired or its signature no longer holds; a fresh URL fixes that.
      if (response.status === 403) resign = true;
      else if (!isRetryableStatus(response.status)) throw error;
      retryAfter = response.headers.get('retry-after');
    } catch (thrown) {
      if (signal.aborted) throw signal.reason;
      // fetch rejects with a TypeError on network errors; anything else is not ours to retry.
      if (!(thrown instanceof TypeError)) throw thrown;
      error = new UploadStorageError(`chunk ${n}: ${describe(thrown)}`, 0, n, { cause: thrown });
    }
    if (attempt >= input.retry.retries) throw error;
    if (resign) {
      announceRetry(input.retry, { attempt: attempt + 1, delayMs: 0, error });
      current = (await input.resign()) ?? current;
    } else await waitToRetry(attempt, retryAfter, error, input.retry, signal);
  }
}

/** ` (Code)` from an S3 XML error body, when there is one. */
function s3Code(body: string): string {
  const code = /<Code>([^<]{1,64})<\/Code>/.exec(body)?.[1];
  return code ? ` (${code})` : '';
}
