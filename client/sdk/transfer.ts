import type { FetchLike, UploadApiClient } from './api.ts';
import { UploadApiError } from './errors.ts';
import { type ChunkHasher, sha256Base64 } from './hash.ts';
import { type ChunkLayout, chunkLength, chunkRange, planSignBatch } from './plan.ts';
import { putChunk } from './put-chunk.ts';
import { RecordBatcher, type RecordBatchOptions } from './record-batcher.ts';
import { RESENDABLE, ResendBudget, refusalError } from './resends.ts';
import type { ResolvedRetryOptions } from './retry.ts';
import type { Permits } from './semaphore.ts';
import type { UploadSource } from './source.ts';
import type { BatchRecordResult, ChecksumMode, ChunkRecordInput, ChunkUrl } from './types.ts';

export interface SizedChunk {
  readonly chunkNumber: number;
  readonly size: number;
}

export interface TransferPlan {
  readonly api: UploadApiClient;
  readonly sessionId: string;
  readonly layout: ChunkLayout;
  readonly checksum: ChecksumMode;
  readonly source: UploadSource;
  /** Chunk numbers to send, in order. */
  readonly chunks: readonly number[];
  readonly concurrency: number;
  /**
   * Shared with other transfers (an upload queue): a permit is held around each chunk's read and
   * PUT, so the PUTs in flight across all of them stay within its limit.
   */
  readonly permits?: Permits;
  readonly signAhead: number;
  /** Sends the chunk PUTs. */
  readonly fetch: FetchLike;
  /** Hashes chunks for their checksums (default: WebCrypto). */
  readonly sha256?: ChunkHasher;
  readonly retry: ResolvedRetryOptions;
  readonly signal: AbortSignal | undefined;
  /** How records are batched (default 32 entries, 250 ms, 2 batches in flight). */
  readonly recordBatch?: RecordBatchOptions;
  /** Re-sends allowed per chunk; share one budget between the transfers of one upload. */
  readonly resends?: ResendBudget;
  /** Storage took the chunk's PUT; its record is still to come. */
  readonly onSent?: (chunkNumber: number, size: number) => void;
  /** The server recorded these chunks. */
  readonly onConfirmed?: (chunks: readonly SizedChunk[]) => void;
  /** The server refused to record a sent chunk; it is sent again. */
  readonly onRequeued?: (chunkNumber: number, size: number) => void;
  readonly now?: () => number;
}

interface ReadyChunk {
  readonly signed: ChunkUrl;
  readonly checksum: string | undefined;
}

/**
 * Sends chunks with `concurrency` workers and resolves once the server has recorded every one.
 * A signer reads and hashes chunks ahead of the workers and asks for their URLs in batches; a
 * worker reads its chunk again, PUTs it, hands the ETag to a RecordBatcher and takes the next
 * chunk at once, so no worker waits on a record call. A chunk whose record is refused (storage
 * holds other bytes, none, or a part of the wrong size) goes back to the signer to be read, hashed
 * and sent again, within the re-send budget. Memory stays within (concurrency + 1) chunks: with a
 * source that reads into a given buffer, the signer and each worker reuse one buffer each, free
 * again as soon as storage answers the PUT. The first failure stops everything and is thrown
 * once every worker and record call has stopped.
 */
export async function transferChunks(plan: TransferPlan): Promise<void> {
  const stop = new AbortController();
  const signal = plan.signal ? AbortSignal.any([plan.signal, stop.signal]) : stop.signal;
  const now = plan.now ?? Date.now;
  const resends = plan.resends ?? new ResendBudget();
  const sizeOf = (n: number) => chunkLength(plan.layout, n);
  const pending = [...plan.chunks];
  const ready: ReadyChunk[] = [];
  const unconfirmed = new Set(plan.chunks);
  /** Chunks still to be PUT: pending, being signed, ready, or being PUT. */
  let unstored = unconfirmed.size;
  let failure: { error: unknown } | undefined;
  const finished = () => unconfirmed.size === 0 || signal.aborted;

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
    batcher.stop();
    stop.abort(error);
  };

  const settle = (sent: readonly ChunkRecordInput[], answer: BatchRecordResult) => {
    const recorded = new Set(answer.recorded.map((r) => r.chunkNumber));
    const rejected = new Map(answer.rejected.map((r) => [r.chunkNumber, r]));
    const confirmed: SizedChunk[] = [];
    const again: number[] = [];
    for (const { chunkNumber: n } of sent) {
      if (recorded.has(n)) {
        if (unconfirmed.delete(n)) confirmed.push({ chunkNumber: n, size: sizeOf(n) });
        continue;
      }
      const refusal = rejected.get(n);
      if (!refusal)
        throw new UploadApiError('INVALID_RESPONSE', `the record answer omits chunk ${n}`, 200);
      if (!RESENDABLE.has(refusal.code))
        throw refusalError(n, refusal, `chunk ${n} was not recorded: ${refusal.message}`);
      resends.take(n, refusal);
      again.push(n);
    }
    if (confirmed.length > 0) plan.onConfirmed?.(confirmed);
    for (const n of again) plan.onRequeued?.(n, sizeOf(n));
    pending.unshift(...again);
    unstored += again.length;
  };

  const batcher = new RecordBatcher(
    {
      send: (entries) => plan.api.recordChunks(plan.sessionId, entries, { signal }),
      onAnswer: (sent, answer) => {
        try {
          settle(sent, answer);
        } catch (error) {
          fail(error);
        }
        notify();
      },
      onError: fail,
      now,
    },
    plan.recordBatch,
  );

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
      while (!finished()) {
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
    }
  };

  const send = async (item: ReadyChunk, buffer: Uint8Array<ArrayBuffer> | undefined) => {
    const n = item.signed.chunkNumber;
    const release = await plan.permits?.acquire(signal);
    let bytes: Uint8Array<ArrayBuffer>;
    let etag: string;
    try {
      bytes = await readChunk(plan, n, buffer);
      etag = await putChunk({
        chunkNumber: n,
        bytes,
        signed: item.signed,
        resign: async () => (await sign([n], [item.checksum]))[0],
        fetch: plan.fetch,
        retry: plan.retry,
        signal,
        now,
      });
    } finally {
      release?.();
    }
    // From here on the buffer is free for the next chunk: the record goes out in the background.
    unstored--;
    batcher.add(
      item.checksum
        ? { chunkNumber: n, etag, checksumSha256: item.checksum }
        : { chunkNumber: n, etag },
    );
    plan.onSent?.(n, bytes.length);
    if (unstored === 0) batcher.flush(); // nothing left to PUT: no reason to hold records back
  };

  const worker = async () => {
    const buffer = chunkBuffer(plan);
    try {
      while (!finished()) {
        const next = ready.shift();
        if (!next) {
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
  batcher.stop();
  await batcher.settled();
  signal.removeEventListener('abort', notify);
  if (failure) throw failure.error;
  if (plan.signal?.aborted) throw plan.signal.reason;
}

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
