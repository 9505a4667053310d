/**
 * Deterministic file contents and session plans from a seed, so that a run holds no file in
 * memory: a chunk's bytes are regenerated from (seed, offset) when they are needed.
 */
import { createCipheriv, createHash } from 'node:crypto';

const BLOCK = 16;

/**
 * `length` bytes of the file of `seed` starting at `offset`: the AES-256-CTR keystream of a key
 * derived from the seed, so any range can be produced without the bytes before it.
 */
export function fileBytes(seed: number, offset: number, length: number): Buffer {
  const key = createHash('sha256').update(`load-file:${seed}`).digest();
  const firstBlock = Math.floor(offset / BLOCK);
  const skip = offset - firstBlock * BLOCK;
  const iv = Buffer.alloc(BLOCK);
  iv.writeBigUInt64BE(BigInt(firstBlock), 8);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const stream = cipher.update(Buffer.alloc(skip + length));
  return skip === 0 ? stream : stream.subarray(skip);
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlanOptions {
  readonly sessions: number;
  readonly users: number;
  readonly seed: number;
  readonly fileSize: { readonly min: number; readonly max: number };
  readonly chunkSize: number;
  /** Share of sessions cancelled part-way instead of completed. */
  readonly cancelRate: number;
  /** Share of sessions where one chunk's record call is skipped and resume must count it. */
  readonly lostRecordRate: number;
  /** Chance of a progress check after each chunk. */
  readonly progressRate: number;
}

export interface SessionPlan {
  readonly index: number;
  readonly user: number;
  readonly seed: number;
  readonly fileName: string;
  readonly fileSize: number;
  readonly chunkSize: number;
  readonly totalChunks: number;
  readonly action: 'complete' | 'cancel';
  /** For a cancelled session: how many chunks are uploaded before the cancel. */
  readonly cancelAfter: number;
  /** The chunk whose record call is skipped (resume reconciles it), if any. */
  readonly lostRecordAt: number | undefined;
  /** Chunks after which progress is queried. */
  readonly progressAfter: ReadonlySet<number>;
}

export const chunkCount = (fileSize: number, chunkSize: number): number =>
  fileSize === 0 ? 1 : Math.ceil(fileSize / chunkSize);

export const chunkLength = (plan: SessionPlan, chunk: number): number =>
  Math.min(plan.chunkSize, plan.fileSize - chunk * plan.chunkSize);

export function planSession(options: PlanOptions, index: number): SessionPlan {
  const random = prng(options.seed * 1_000_003 + index);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const fileSize = int(options.fileSize.min, options.fileSize.max);
  const totalChunks = chunkCount(fileSize, options.chunkSize);
  const action = random() < options.cancelRate ? 'cancel' : 'complete';
  const cancelAfter = action === 'cancel' ? int(0, totalChunks - 1) : totalChunks;
  const lostRecordAt =
    cancelAfter > 0 && random() < options.lostRecordRate ? int(0, cancelAfter - 1) : undefined;
  const progressAfter = new Set<number>();
  for (let chunk = 0; chunk < cancelAfter; chunk++)
    if (random() < options.progressRate) progressAfter.add(chunk);
  return {
    index,
    user: index % options.users,
    seed: int(1, 2 ** 31),
    fileName: `load-${options.seed}-${index}.bin`,
    fileSize,
    chunkSize: options.chunkSize,
    totalChunks,
    action,
    cancelAfter,
    lostRecordAt,
    progressAfter,
  };
}
