import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUploadQueue,
  type UploadOutcome,
  type UploadQueueOptions,
  type UploadTask,
} from '../../client/sdk/index.ts';
import { type ApiClient, sha256Hex } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const MIB = 1024 * 1024;
/** Live sessions a user may hold: more than the queues below run at once, except on purpose. */
const LIVE_LIMIT = 10;
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    MAX_FILE_SIZE: String(16 * MIB),
    ALLOWED_CONTENT_TYPES: 'application/octet-stream,text/plain,image/*',
    MAX_ACTIVE_UPLOADS_PER_USER: String(LIVE_LIMIT),
  });
});
afterAll(() => harness?.close());

const queueOptions = (api: ApiClient, extra: Partial<UploadQueueOptions> = {}) => ({
  apiUrl: harness.url,
  token: api.token,
  ...extra,
});

/** Each task's stored object has the SHA-256 of its source. */
async function expectStored(api: ApiClient, tasks: readonly UploadTask[], sources: Uint8Array[]) {
  const stored = await Promise.all(
    tasks.map(async (task) => sha256Hex(await api.download(task.sessionId as string))),
  );
  expect(stored).toEqual(sources.map(sha256Hex));
}

const states = (outcomes: readonly UploadOutcome[]) => outcomes.map((o) => o.state);
/** What did not succeed, readably. */
const failures = (outcomes: readonly UploadOutcome[]) =>
  outcomes.flatMap((o, i) =>
    o.state === 'succeeded' ? [] : [`${i} ${o.state}: ${o.reason.name} ${o.reason.message}`],
  );

describe('an upload queue against the local stack', () => {
  it('uploads files of mixed sizes, 3 at a time with 4 PUTs in flight, rejecting the one the server refuses', async () => {
    // Prepare: 20 files from empty to 3 chunks, one of a type the server refuses, one too large.
    const api = await harness.as('queue-mixed');
    const sizes = [0, 1, 700, 4096, 65_536, 300_000, MIB, 2 * MIB + 3, 5 * MIB, 5 * MIB + 1];
    const sources = Array.from({ length: 18 }, (_, i) => randomBytes(sizes[i % sizes.length] ?? 1));
    sources.push(randomBytes(12 * MIB + 17)); // three chunks of 5 MiB (the last one short)
    const queue = createUploadQueue(queueOptions(api, { concurrency: 4, filesInParallel: 3 }));
    let running = 0;
    let maxRunning = 0;
    queue.on('taskstatechange', ({ from, to }) => {
      if (to === 'running') maxRunning = Math.max(maxRunning, ++running);
      if (from === 'running') running--;
    });

    // Act
    const tasks = sources.map((bytes, i) =>
      queue.add(new Blob([bytes]), {
        fileName: `mixed-${i}.bin`,
        contentType: i % 2 ? 'text/plain' : 'application/octet-stream',
      }),
    );
    const refused = queue.add(new Blob([randomBytes(10)]), {
      fileName: 'tool.exe',
      contentType: 'application/x-msdownload',
    });
    const tooLarge = queue.add(new Blob([new Uint8Array(16 * MIB + 1)]), { fileName: 'huge.bin' });
    const outcomes = await queue.onIdle();

    // Assess
    expect(states(outcomes)).toEqual([...Array(19).fill('succeeded'), 'rejected', 'rejected']);
    expect(refused.reason).toMatchObject({ code: 'UNSUPPORTED_CONTENT_TYPE', status: 415 });
    expect(tooLarge.reason).toMatchObject({ code: 'FILE_TOO_LARGE', status: 413 });
    expect(tasks.at(-1)?.progress).toMatchObject({ totalChunks: 3, chunksUploaded: 3 });
    expect(maxRunning).toBe(3);
    await expectStored(api, tasks, sources);
    const total = sources.reduce((sum, b) => sum + b.length, 0);
    expect(queue.progress).toMatchObject({
      sentBytes: total,
      confirmedBytes: total,
      totalBytes: total,
    });
    expect(queue.progress.states).toMatchObject({ succeeded: 19, rejected: 2 });
  });

  it('waits while the user is at the live-session limit and uploads every file once slots free up', async () => {
    // Prepare: the user already holds all but two slots with sessions outside the queue.
    const api = await harness.as('queue-quota');
    const created = await Promise.all(
      Array.from({ length: LIVE_LIMIT - 2 }, (_, i) =>
        api.initiate({ fileName: `outside-${i}.bin`, fileSize: 10 }),
      ),
    );
    expect(created.map((c) => c.status)).toEqual(Array(LIVE_LIMIT - 2).fill(201));
    const outside: string[] = created.map((c) => c.body.data.id);
    const queue = createUploadQueue(queueOptions(api, { filesInParallel: 3 }));
    let requeued = 0;
    queue.on('taskstatechange', ({ from, to }) => {
      if (from === 'running' && to === 'queued') requeued++;
    });
    const sources = Array.from({ length: 6 }, (_, i) => randomBytes(1000 + i));

    // Act
    const tasks = sources.map((bytes, i) =>
      queue.add(new Blob([bytes]), { fileName: `quota-${i}.bin` }),
    );
    const outcomes = await Promise.all(tasks.map((t) => t.done));

    // Assess: the third file met TOO_MANY_ACTIVE_UPLOADS and waited instead of failing.
    expect(failures(outcomes)).toEqual([]);
    expect(requeued).toBeGreaterThan(0);
    await expectStored(api, tasks, sources);
    await Promise.all(outside.map((id) => api.request('DELETE', `/uploads/${id}`)));
  });

  // The local server and its emulators take about a second per small file on a busy 2-core
  // machine (initiate, sign, record, complete), so this runs 6 files at once. Under that load a
  // complete can answer COMPLETION_IN_PROGRESS (with Retry-After) for over a minute: a larger
  // retry budget waits it out instead of failing the file.
  it('queues 200 small files at once and uploads every one', { timeout: 300_000 }, async () => {
    const api = await harness.as('queue-stress');
    const queue = createUploadQueue(
      queueOptions(api, {
        concurrency: 6,
        filesInParallel: 6,
        checksum: 'NONE',
        retry: { retries: 12 },
      }),
    );
    const sources = Array.from({ length: 200 }, (_, i) => randomBytes(1 + ((i * 37) % 2048)));

    const tasks: UploadTask[] = [];
    for (const [i, bytes] of sources.entries())
      tasks.push(queue.add(new Blob([bytes]), { fileName: `stress-${i}.bin` }));
    const outcomes = await Promise.all(tasks.map((t) => t.done));

    expect(failures(outcomes)).toEqual([]);
    expect(outcomes.map((o) => (o.state === 'succeeded' ? o.file.size : -1))).toEqual(
      sources.map((b) => b.length),
    );
    // Spot-check stored bytes (every 20th file) to keep the test quick.
    const sample = tasks.filter((_, i) => i % 20 === 0);
    await expectStored(
      api,
      sample,
      sources.filter((_, i) => i % 20 === 0),
    );
  });
});
