import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileUploadQueue } from '../../../client/sdk/node.ts';
import {
  createUploadQueue,
  type QueueProgress,
  type UploadQueue,
  type UploadQueueOptions,
} from '../../../client/sdk/queue.ts';
import { Semaphore } from '../../../client/sdk/semaphore.ts';
import { createUpload, type TaskState, type UploadTask } from '../../../client/sdk/task.ts';
import { type FakeBackendOptions, fakeBackend } from './fake-backend.ts';

const bytesOf = (size: number, seed = 0) =>
  new Uint8Array(size).map((_, i) => (i * 13 + seed) % 251);
const fileOf = (size: number, name: string, seed = 0) =>
  new File([bytesOf(size, seed)], name, { type: 'application/octet-stream', lastModified: 1 });

function setup(backendOptions: FakeBackendOptions = {}) {
  const backend = fakeBackend({ chunkSize: 10, ...backendOptions });
  const options = (extra: Partial<UploadQueueOptions> = {}): UploadQueueOptions => ({
    apiUrl: 'http://api.test',
    token: 't',
    fetch: backend.fetch,
    retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 },
    ...extra,
  });
  return { backend, options };
}

/** Follows a queue: the order files started in and the most running at once. */
function watch(queue: UploadQueue) {
  const started: string[] = [];
  let running = 0;
  let maxRunning = 0;
  let idles = 0;
  const progress: QueueProgress[] = [];
  queue.on('taskstatechange', ({ task, from, to }) => {
    if (to === 'running') {
      started.push(task.name);
      running++;
      maxRunning = Math.max(maxRunning, running);
    }
    if (from === 'running') running--;
  });
  queue.on('progress', (p) => progress.push(p));
  queue.on('idle', () => idles++);
  return {
    started,
    progress,
    get maxRunning() {
      return maxRunning;
    },
    get idles() {
      return idles;
    },
  };
}

/** Resolves when the task reaches `state`. */
const reaching = (task: UploadTask, state: TaskState) =>
  new Promise<void>((resolve) => {
    if (task.state === state) return resolve();
    const off = task.on('statechange', ({ to }) => {
      if (to !== state) return;
      off();
      resolve();
    });
  });

describe('createUploadQueue', () => {
  it('starts higher priorities first, then in the order added', async () => {
    // Arrange
    const { options } = setup();
    const queue = createUploadQueue(options({ filesInParallel: 1, concurrency: 1 }));
    const seen = watch(queue);

    // Act
    const plan: [string, number][] = [
      ['a', 0],
      ['b', 0],
      ['c', 1],
      ['d', 5],
      ['e', 0],
      ['f', 5],
    ];
    const tasks = plan.map(([name, priority], i) =>
      queue.add(fileOf(15, name, i), { priority, fileName: `${name}.bin` }),
    );
    const statesAtOnce = tasks.map((t) => t.state);
    const outcomes = await queue.onIdle();

    // Assess
    expect(statesAtOnce).toEqual(Array(6).fill('queued'));
    expect(seen.started).toEqual(['d.bin', 'f.bin', 'c.bin', 'a.bin', 'b.bin', 'e.bin']);
    expect(outcomes.map((o) => o.state)).toEqual(Array(6).fill('succeeded'));
    expect(outcomes.map((o) => (o.state === 'succeeded' ? o.file.name : ''))).toEqual(
      plan.map(([name]) => `${name}.bin`),
    );
    expect(queue.tasks).toEqual(tasks);
    expect(seen.idles).toBe(1);
  });

  it('never has more chunk PUTs in flight than concurrency, across all files', async () => {
    // Arrange: 6 files of 12 chunks; each file alone would use 3 workers.
    const { backend, options } = setup({ putDelayMs: 4 });
    const queue = createUploadQueue(options({ concurrency: 3, filesInParallel: 4 }));
    const seen = watch(queue);

    // Act
    const tasks = queue.addAll(Array.from({ length: 6 }, (_, i) => fileOf(115, `f${i}.bin`, i)));
    await Promise.all(tasks.map((t) => t.done));

    // Assess
    expect(tasks.map((t) => t.state)).toEqual(Array(6).fill('succeeded'));
    expect(backend.log.maxInFlight).toBe(3);
    expect(seen.maxRunning).toBe(4);
    expect(backend.log.maxActive).toBeLessThanOrEqual(4);
    for (const [i, task] of tasks.entries())
      expect(backend.files.get(task.sessionId as string)).toEqual(bytesOf(115, i));
  });

  it('lets one file alone use the whole pool', async () => {
    const { backend, options } = setup({ putDelayMs: 4 });
    const queue = createUploadQueue(options({ concurrency: 5 }));
    await queue.add(fileOf(300, 'big.bin')).done;
    expect(backend.log.maxInFlight).toBe(5);
  });

  it('runs at most filesInParallel files at once', async () => {
    const { backend, options } = setup({ putDelayMs: 3 });
    const queue = createUploadQueue(options({ concurrency: 8, filesInParallel: 2 }));
    const seen = watch(queue);
    queue.addAll(Array.from({ length: 7 }, (_, i) => fileOf(40, `f${i}.bin`, i)));
    const outcomes = await queue.onIdle();
    expect(outcomes).toHaveLength(7);
    expect(seen.maxRunning).toBe(2);
    expect(Math.max(...seen.progress.map((p) => p.states.running))).toBe(2);
    expect(backend.log.maxActive).toBeLessThanOrEqual(2);
  });

  it('defaults to 3 files at once and 4 PUTs in flight', async () => {
    const { backend, options } = setup({ putDelayMs: 3 });
    const queue = createUploadQueue(options());
    const seen = watch(queue);
    queue.addAll(Array.from({ length: 6 }, (_, i) => fileOf(60, `f${i}.bin`, i)));
    await queue.onIdle();
    expect(seen.maxRunning).toBe(3);
    expect(backend.log.maxInFlight).toBe(4);
  });

  it('can be awaited and listened to the moment a file is queued', async () => {
    const { options } = setup();
    const queue = createUploadQueue(options());
    const task = queue.add(fileOf(25, 'a.bin'));
    const done = task.done;
    const states: string[] = [];
    task.on('statechange', ({ to }) => states.push(to));
    expect(task.state).toBe('queued');
    expect(task.sessionId).toBeUndefined();

    const outcome = await done;

    expect(outcome.state).toBe('succeeded');
    expect(states).toEqual(['running', 'succeeded']);
  });

  it('waits for the quota while its own files hold it, then uploads every file', async () => {
    // Arrange: the server allows 2 live sessions; the queue runs 3 files at once.
    const { backend, options } = setup({ maxActiveSessions: 2, putDelayMs: 3 });
    const queue = createUploadQueue(options({ filesInParallel: 3, quotaWaitMs: 60_000 }));
    const backToQueue: string[] = [];
    queue.on('taskstatechange', ({ task, from, to }) => {
      if (from === 'running' && to === 'queued') backToQueue.push(task.name);
    });

    // Act
    const tasks = queue.addAll(Array.from({ length: 6 }, (_, i) => fileOf(45, `f${i}.bin`, i)));
    const outcomes = await Promise.all(tasks.map((t) => t.done));

    // Assess: nothing failed; the quota made some wait; never more than 2 sessions live.
    expect(outcomes.map((o) => o.state)).toEqual(Array(6).fill('succeeded'));
    expect(backend.log.initiates.some((i) => i.status === 429)).toBe(true);
    expect(backToQueue.length).toBeGreaterThan(0);
    expect(backend.log.maxActive).toBe(2);
  });

  it('waits for the quota with a backoff while none of its files runs', async () => {
    // Arrange: the only slot is held by an upload outside the queue.
    const { backend, options } = setup({ maxActiveSessions: 1 });
    const outsider = createUpload(fileOf(40, 'outsider.bin'), options());
    outsider.on('session', () => outsider.pause());
    await reaching(outsider, 'paused');
    const queue = createUploadQueue(options({ quotaBackoff: { initialMs: 5, maxMs: 10 } }));
    let waits = 0;
    queue.on('taskstatechange', ({ from, to }) => {
      if (from === 'running' && to === 'queued' && ++waits === 3) void outsider.cancel();
    });

    // Act
    const tasks = queue.addAll([fileOf(20, 'a.bin', 1), fileOf(20, 'b.bin', 2)]);
    const outcomes = await queue.onIdle();

    // Assess
    expect(outcomes.map((o) => o.state)).toEqual(['succeeded', 'succeeded']);
    expect(waits).toBeGreaterThanOrEqual(3);
    expect(tasks.map((t) => backend.files.get(t.sessionId as string))).toEqual([
      bytesOf(20, 1),
      bytesOf(20, 2),
    ]);
  });

  it('rejects a file once the quota stays full for quotaWaitMs', async () => {
    const { options } = setup({ maxActiveSessions: 0 });
    const queue = createUploadQueue(
      options({ quotaWaitMs: 40, quotaBackoff: { initialMs: 5, maxMs: 10 } }),
    );
    const outcome = await queue.add(fileOf(20, 'a.bin')).done;
    expect(outcome).toMatchObject({
      state: 'rejected',
      reason: { code: 'TOO_MANY_ACTIVE_UPLOADS' },
    });
  });

  it('rejects the file the server refuses and uploads the others', async () => {
    const { options } = setup({ maxFileSize: 100 });
    const queue = createUploadQueue(options());
    const seen = watch(queue);
    queue.add(fileOf(50, 'a.bin'));
    const big = queue.add(fileOf(150, 'big.bin'));
    queue.add(fileOf(60, 'c.bin'));

    const outcomes = await queue.onIdle();

    expect(outcomes.map((o) => o.state)).toEqual(['succeeded', 'rejected', 'succeeded']);
    expect(big.reason).toMatchObject({ code: 'FILE_TOO_LARGE', status: 413 });
    // The refused file is counted out of the totals.
    expect(seen.progress.at(-1)).toMatchObject({
      sentBytes: 110,
      confirmedBytes: 110,
      totalBytes: 110,
      etaSeconds: 0,
      tasks: 3,
      states: { succeeded: 2, rejected: 1, queued: 0, running: 0 },
    });
  });

  it('reports totals that only grow while files upload', async () => {
    const { options } = setup({ putDelayMs: 2 });
    const queue = createUploadQueue(options({ concurrency: 2 }));
    const seen = watch(queue);
    queue.addAll([fileOf(100, 'a.bin'), fileOf(70, 'b.bin'), fileOf(30, 'c.bin')]);
    expect(queue.progress).toMatchObject({ sentBytes: 0, totalBytes: 200, tasks: 3 });
    await queue.onIdle();
    const sent = seen.progress.map((p) => p.sentBytes);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(seen.progress.every((p) => p.confirmedBytes <= p.sentBytes)).toBe(true);
    expect(seen.progress.every((p) => p.totalBytes === 200)).toBe(true);
    expect(queue.progress).toMatchObject({ sentBytes: 200, confirmedBytes: 200, etaSeconds: 0 });
  });

  it('pauses every file and resumes them, sending only what is missing', async () => {
    // Arrange
    const { backend, options } = setup({ putDelayMs: 4 });
    const queue = createUploadQueue(options({ concurrency: 2, filesInParallel: 2 }));
    const tasks = queue.addAll(Array.from({ length: 4 }, (_, i) => fileOf(100, `f${i}.bin`, i)));
    const paused = new Promise<readonly unknown[]>((resolve) => {
      const first = tasks[0] as UploadTask;
      const off = first.on('progress', (p) => {
        if (p.chunksSent < 3) return;
        off();
        queue.pause();
        resolve(queue.onIdle());
      });
    });

    // Act
    const whilePaused = await paused;
    const states = tasks.map((t) => t.state);
    const added = queue.add(fileOf(30, 'late.bin', 9));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const lateState = added.state;
    queue.resume();
    const outcomes = await queue.onIdle();

    // Assess
    expect(whilePaused).toEqual([]);
    expect(states).toEqual(Array(4).fill('paused'));
    expect(lateState).toBe('queued');
    expect(outcomes.map((o) => o.state)).toEqual(Array(5).fill('succeeded'));
    for (const [i, task] of tasks.entries())
      expect(backend.files.get(task.sessionId as string)).toEqual(bytesOf(100, i));
    const first = tasks[0]?.sessionId as string;
    const putsOfFirst = backend.log.puts.filter((p) => p.session === first).map((p) => p.chunk);
    expect(new Set(putsOfFirst).size).toBe(putsOfFirst.length); // no chunk sent twice
  });

  it('cancels every file that has not ended', async () => {
    const { backend, options } = setup({ putDelayMs: 4 });
    const queue = createUploadQueue(options({ filesInParallel: 2 }));
    const tasks = queue.addAll(Array.from({ length: 4 }, (_, i) => fileOf(200, `f${i}.bin`, i)));
    await new Promise<void>((resolve) => {
      const off = tasks[0]?.on('progress', (p) => {
        if (p.chunksSent < 2) return;
        off?.();
        resolve();
      });
    });

    await queue.cancel();

    expect(tasks.map((t) => t.state)).toEqual(Array(4).fill('cancelled'));
    const started = tasks.flatMap((t) => (t.sessionId ? [t.sessionId] : []));
    expect(started).toHaveLength(2);
    expect(backend.log.cancels.sort()).toEqual([...started].sort());
    for (const id of started) expect(backend.status(id)).toBe('cancelled');
    expect(await queue.onIdle()).toHaveLength(4);
  });

  it('uploads 200 small files queued in one go', async () => {
    // Arrange
    const { backend, options } = setup({ putDelayMs: 1 });
    const queue = createUploadQueue(options());
    const files = Array.from({ length: 200 }, (_, i) => fileOf(1 + (i % 25), `f${i}.bin`, i));

    // Act
    const tasks: UploadTask[] = [];
    for (const file of files) tasks.push(queue.add(file));
    const outcomes = await Promise.all(tasks.map((t) => t.done));

    // Assess
    expect(outcomes.every((o) => o.state === 'succeeded')).toBe(true);
    for (const [i, task] of tasks.entries())
      expect(backend.files.get(task.sessionId as string)).toEqual(bytesOf(1 + (i % 25), i));
    expect(new Set(tasks.map((t) => t.sessionId)).size).toBe(200);
    expect(backend.log.maxInFlight).toBeLessThanOrEqual(4);
    expect(queue.progress.states.succeeded).toBe(200);
  });
});

describe('createFileUploadQueue', () => {
  it('takes file paths, reading each file only once its upload runs', async () => {
    // Arrange
    const dir = await mkdtemp(join(tmpdir(), 'queue-'));
    try {
      const contents = [bytesOf(35, 1), bytesOf(0, 2), bytesOf(120, 3)];
      const paths = contents.map((_, i) => join(dir, `file-${i}.bin`));
      await Promise.all(paths.map((path, i) => writeFile(path, contents[i] as Uint8Array)));
      const { backend, options } = setup();
      const queue = createFileUploadQueue({ ...options({ filesInParallel: 2 }), store: false });

      // Act
      const tasks = queue.addAll(paths);
      const outcomes = await queue.onIdle();

      // Assess
      expect(tasks.map((t) => [t.name, t.size])).toEqual([
        ['file-0.bin', 35],
        ['file-1.bin', 0],
        ['file-2.bin', 120],
      ]);
      expect(outcomes.map((o) => o.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      for (const [i, task] of tasks.entries())
        expect(backend.files.get(task.sessionId as string)).toEqual(contents[i]);
      expect(() => queue.add(join(dir, 'missing.bin'))).toThrow(/ENOENT/);
      expect(() => queue.add(dir)).toThrow(/not a regular file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Semaphore', () => {
  it('hands out permits first come, first served, up to its limit', async () => {
    const semaphore = new Semaphore(2);
    const order: number[] = [];
    const first = await semaphore.acquire();
    const second = await semaphore.acquire();
    const waiting = [3, 4].map((n) =>
      semaphore.acquire().then((release) => {
        order.push(n);
        return release;
      }),
    );
    expect(semaphore.inUse).toBe(2);
    expect(semaphore.waiting).toBe(2);
    first();
    first(); // a second call does nothing
    const third = await waiting[0];
    expect(order).toEqual([3]);
    second();
    (await waiting[1])?.();
    third?.();
    expect(semaphore.inUse).toBe(0);
  });

  it('rejects a waiter whose signal aborts and forgets it', async () => {
    const semaphore = new Semaphore(1);
    const held = await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(semaphore.waiting).toBe(0);
    held();
    expect(semaphore.inUse).toBe(0);
  });
});
