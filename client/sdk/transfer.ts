import { describe, type FetchLike, type UploadApiClient } from './api.ts';
import { UploadApiError, UploadStorageError } from './errors.ts';
import { type ChunkHasher, sha256Base64 } from './hash.ts';
import { type ChunkLayout, chunkRange, expiresSoon, planSignBatch } from './plan.ts';
import { isRetryableStatus, type ResolvedRetryOptions, retryDelay, sleep } from './retry.ts';
import type { UploadSource } from './source.ts';
import type { ChecksumMode, ChunkUrl } from './types.ts';

export interface TransferPlan {
  readonly api: UploadApiClient;
  readonly sessionId: string;
  readonly layout: ChunkLayout;
  readonly checksum: ChecksumMode;
  readonly source: UploadSource;
  /** Chunk numbers to send, in order. */
  readonly chunks: readonly number[];
  readonly concurrency: number;
  readonly signAhead: number;
  /** Sends the chunk PUTs. */
  readonly fetch: FetchLike;
  /** Hashes chunks for their checksums (default: WebCrypto). */
  readonly sha256?: ChunkHasher;
  readonly retry: ResolvedRetryOptions;
  readonly signal: AbortSignal | undefined;
  /** A chunk of `size` bytes is stored and recorded. */
  readonly onChunk: (chunkNumber: number, size: number) => void;
  readonly now?: () => number;
}

interface ReadyChunk {
  readonly signed: ChunkUrl;
  readonly checksum: string | undefined;
}

/**
 * Sends chunks with `concurrency` workers. A signer reads and hashes chunks ahead of them and
 * asks for their URLs in batches, keeping a short queue of signed chunks; each worker reads its
 * chunk again, PUTs it and records it. Memory stays within (concurrency + 1) chunks: with a
 * source that reads into a given buffer, the signer and each worker reuse one buffer each. The
 * first failure stops every worker and is thrown once they have all stopped.
 */
export async function transferChunks(plan: TransferPlan): Promise<void> {
  const stop = new AbortController();
  const signal = plan.signal ? AbortSignal.any([plan.signal, stop.signal]) : stop.signal;
  const now = plan.now ?? Date.now;
  const pending = [...plan.chunks];
  const ready: ReadyChunk[] = [];
  let signing = true;
  let failure: { error: unknown } | undefined;

  let wake = () => {};
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const notify = () => {
    const resolve = wake;
    changed = new Promise<void>((r) => (wake = r));
    resolve();
  };
  signal.addEventListener('abort', notify, { once: true });
  const fail = (error: unknown) => {
    failure ??= { error };
    stop.abort(error);
  };

  // Only hashing reads a chunk in the signer: without checksums it needs no buffer.
  const signerBuffer = plan.checksum === 'SHA256' ? chunkBuffer(plan) : undefined;
  const checksumOf = async (chunkNumber: number): Promise<string | undefined> => {
    if (plan.checksum !== 'SHA256') return undefined;
    return (plan.sha256 ?? sha256Base64)(await readChunk(plan, chunkNumber, signerBuffer));
  };

  const sign = async (chunkNumbers: readonly number[], checksums: (string | undefined)[]) => {
    const { chunks } = await plan.api.signChunks(
      plan.sessionId,
      chunkNumbers.map((chunkNumber, i) => {
        const checksumSha256 = checksums[i];
        return checksumSha256 ? { chunkNumber, checksumSha256 } : { chunkNumber };
      }),
      { signal },
    );
    return chunks;
  };

  const signer = async () => {
    try {
      while (pending.length > 0 && !signal.aborted) {
        const batch = planSignBatch({ pending, ready: ready.length, signAhead: plan.signAhead });
        if (batch.length === 0) {
          await changed;
          continue;
        }
        pending.splice(0, batch.length);
        const checksums: (string | undefined)[] = [];
        for (const n of batch) {
          if (signal.aborted) return;
          checksums.push(await checksumOf(n));
        }
        const checksumByChunk = new Map(batch.map((n, i) => [n, checksums[i]]));
        for (const chunk of await sign(batch, checksums))
          ready.push({ signed: chunk, checksum: checksumByChunk.get(chunk.chunkNumber) });
        notify();
      }
    } catch (error) {
      fail(error);
    } finally {
      signing = false;
      notify();
    }
  };

  /** PUTs the chunk until storage takes it (re-signing after a 403); resolves to its ETag. */
  const store = async (n: number, bytes: Uint8Array<ArrayBuffer>, item: ReadyChunk) => {
    let current = item.signed;
    for (let attempt = 0; ; attempt++) {
      if (expiresSoon(current.expiresAt, now()))
        current = (await sign([n], [item.checksum]))[0] ?? current;
      let error: UploadStorageError;
      let retryAfter: string | null = null;
      let resign = false;
      try {
        const response = await plan.fetch(current.url, {
          method: current.method,
          headers: current.headers,
          body: bytes,
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
      if (attempt >= plan.retry.retries) throw error;
      if (resign) current = (await sign([n], [item.checksum]))[0] ?? current;
      else await sleep(retryDelay(attempt, retryAfter, plan.retry), signal);
    }
  };

  const send = async (item: ReadyChunk, buffer: Uint8Array<ArrayBuffer> | undefined) => {
    const n = item.signed.chunkNumber;
    const bytes = await readChunk(plan, n, buffer);
    for (let attempt = 1; ; attempt++) {
      const etag = await store(n, bytes, item);
      const body = item.checksum ? { etag, checksumSha256: item.checksum } : { etag };
      try {
        await plan.api.recordChunk(plan.sessionId, n, body, { signal });
        break;
      } catch (error) {
        // Storage holds other bytes for this part than our last PUT: an earlier attempt that
        // looked failed landed after it. Sending the chunk again makes ours the stored one.
        const stale = error instanceof UploadApiError && error.code === 'ETAG_MISMATCH';
        if (!stale || attempt >= ETAG_MISMATCH_RESENDS) throw error;
      }
    }
    plan.onChunk(n, bytes.length);
  };

  const worker = async () => {
    const buffer = chunkBuffer(plan);
    try {
      while (!signal.aborted) {
        const next = ready.shift();
        if (!next) {
          if (!signing) return;
          await changed;
          continue;
        }
        notify(); // the signer may refill the queue
        await send(next, buffer);
      }
    } catch (error) {
      fail(error);
    }
  };

  const workers = Math.max(1, Math.min(plan.concurrency, plan.chunks.length));
  await Promise.all([signer(), ...Array.from({ length: workers }, worker)]);
  signal.removeEventListener('abort', notify);
  if (failure) throw failure.error;
  if (plan.signal?.aborted) throw plan.signal.reason;
}

/** How many times a chunk is sent when storage keeps holding other bytes for it. */
const ETAG_MISMATCH_RESENDS = 3;

/** A buffer of one chunk, when the source can read into one (else every read allocates). */
function chunkBuffer(plan: TransferPlan): Uint8Array<ArrayBuffer> | undefined {
  if (!plan.source.readInto || plan.chunks.length === 0) return undefined;
  return new Uint8Array(Math.min(plan.layout.chunkSize, plan.layout.fileSize));
}

async function readChunk(
  plan: TransferPlan,
  n: number,
  buffer: Uint8Array<ArrayBuffer> | undefined,
): Promise<Uint8Array<ArrayBuffer>> {
  const { start, end } = chunkRange(plan.layout, n);
  const bytes =
    buffer && plan.source.readInto
      ? await plan.source.readInto(start, end, buffer)
      : await plan.source.read(start, end);
  if (bytes.length !== end - start)
    throw new Error(
      `read ${bytes.length} bytes of chunk ${n} instead of ${end - start}: did the file change?`,
    );
  return bytes;
}

/** ` (Code)` from an S3 XML error body, when there is one. */
function s3Code(body: string): string {
  const code = /<Code>([^<]{1,64})<\/Code>/.exec(body)?.[1];
  return code ? ` (${code})` : '';
}
