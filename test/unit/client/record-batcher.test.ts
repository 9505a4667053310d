import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecordBatcher, type RecordBatchOptions } from '../../../client/sdk/record-batcher.ts';
import type { BatchRecordResult, ChunkRecordInput } from '../../../client/sdk/types.ts';

/** A batcher whose calls stay open until the test answers them. */
function held(options: RecordBatchOptions = {}) {
  const calls: { chunks: number[]; answer: () => void; fail: (error: Error) => void }[] = [];
  const answered: number[][] = [];
  const errors: unknown[] = [];
  const batcher = new RecordBatcher(
    {
      send: (entries) =>
        new Promise<BatchRecordResult>((resolve, reject) => {
          const chunks = entries.map((e) => e.chunkNumber);
          calls.push({
            chunks,
            answer: () =>
              resolve({
                recorded: [],
                rejected: [],
                uploadedBytes: 0,
                chunksUploaded: 0,
                totalChunks: 0,
              }),
            fail: reject,
          });
        }),
      onAnswer: (sent) => answered.push(sent.map((e) => e.chunkNumber)),
      onError: (error) => errors.push(error),
    },
    options,
  );
  const add = (from: number, count: number) => {
    for (let n = from; n < from + count; n++) batcher.add(entry(n));
  };
  return { batcher, calls, answered, errors, add, sizes: () => calls.map((c) => c.chunks.length) };
}

const entry = (chunkNumber: number): ChunkRecordInput => ({
  chunkNumber,
  etag: `"e${chunkNumber}"`,
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RecordBatcher', () => {
  it('sends a batch as soon as `size` entries are queued', async () => {
    // Arrange
    const { add, sizes } = held({ size: 32, delayMs: 250 });

    // Act
    add(0, 31);
    await vi.advanceTimersByTimeAsync(0);
    const before = sizes();
    add(31, 1);
    await vi.advanceTimersByTimeAsync(0);

    // Assess
    expect(before).toEqual([]);
    expect(sizes()).toEqual([32]);
  });

  it('sends what is queued `delayMs` after the oldest entry', async () => {
    const { add, sizes, calls } = held({ size: 32, delayMs: 250 });
    add(0, 1);
    await vi.advanceTimersByTimeAsync(100);
    add(1, 2);
    await vi.advanceTimersByTimeAsync(149);
    expect(sizes()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.chunks)).toEqual([[0, 1, 2]]);
  });

  it('lets time alone send no more than one call per `size` entries added, plus one', async () => {
    // Arrange: a slow trickle of entries, answered at once.
    const { add, sizes, calls } = held({ size: 32, delayMs: 250 });
    const answerAll = () => {
      for (const call of calls) call.answer();
    };

    // Act: one entry a second for 40 seconds.
    for (let n = 0; n < 40; n++) {
      add(n, 1);
      await vi.advanceTimersByTimeAsync(1000);
      answerAll();
    }

    // Assess: the first call by time, the second once 32 entries were added.
    expect(sizes()).toEqual([1, 31]);
  });

  it('keeps at most `inFlight` batches unanswered, then sends up to 100 entries at once', async () => {
    // Arrange
    const { add, sizes, calls } = held({ size: 32, inFlight: 2 });

    // Act
    add(0, 250);
    await vi.advanceTimersByTimeAsync(10_000);
    const whileHeld = sizes();
    calls[0]?.answer();
    await vi.advanceTimersByTimeAsync(0);
    calls[1]?.answer();
    await vi.advanceTimersByTimeAsync(0);

    // Assess
    expect(whileHeld).toEqual([32, 32]);
    expect(sizes()).toEqual([32, 32, 100, 86]);
  });

  it('flushes everything queued at once, without waiting for count or time', async () => {
    const { batcher, add, sizes, calls } = held({ size: 32, inFlight: 1 });
    add(0, 150);
    await vi.advanceTimersByTimeAsync(0);
    add(150, 5);
    batcher.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(sizes()).toEqual([32]);
    calls[0]?.answer();
    await vi.advanceTimersByTimeAsync(0);
    calls[1]?.answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(sizes()).toEqual([32, 100, 23]);
    expect(batcher.queued).toBe(0);
  });

  it('reports each answer with the entries it answers, and settles once none is in flight', async () => {
    const { batcher, add, calls, answered } = held({ size: 2 });
    add(0, 4);
    await vi.advanceTimersByTimeAsync(0);
    let settled = false;
    void batcher.settled().then(() => {
      settled = true;
    });
    calls[1]?.answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(answered).toEqual([[2, 3]]);
    expect(settled).toBe(false);
    calls[0]?.answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(answered).toEqual([
      [2, 3],
      [0, 1],
    ]);
    expect(settled).toBe(true);
  });

  it('reports a failed call once and sends nothing more', async () => {
    const { batcher, add, calls, errors, answered } = held({ size: 1 });
    add(0, 2);
    await vi.advanceTimersByTimeAsync(0);
    calls[0]?.fail(new Error('gone'));
    calls[1]?.fail(new Error('also gone'));
    await vi.advanceTimersByTimeAsync(0);
    add(2, 5);
    batcher.flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toEqual([new Error('gone')]);
    expect(calls).toHaveLength(2);
    expect(answered).toEqual([]);
  });

  it('ignores answers after stop and leaves no timer behind', async () => {
    const { batcher, add, calls, answered } = held({ size: 32, delayMs: 250 });
    add(0, 1);
    batcher.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    expect(answered).toEqual([]);
  });
});
