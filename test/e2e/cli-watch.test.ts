/**
 * `upload-api watch` (the built CLI, its own process) following an upload that the test process
 * makes with the SDK: each chunk PUT waits until the test lets it through, and the test lets
 * the next one through only once the CLI has printed the previous one's progress, so every step
 * is seen, with no sleeps. Over the local server's WebSocket, and by polling with --poll.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUpload, type UploadTask } from '../../client/sdk/index.ts';
import type { UploadProgressState } from '../../client/sdk/types.ts';
import { MIN_CHUNK_SIZE } from '../../src/domain/chunk-plan.ts';
import type { ApiClient } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { PutGate } from '../support/put-gate.ts';
import { buildCliForTests, type CliRun, startCli as startCliProcess } from './cli-runner.ts';

let harness: Harness;
let api: ApiClient;
let env: Record<string, string>;

beforeAll(async () => {
  await buildCliForTests();
  harness = await startHarness({}, { live: true });
  api = await harness.as('watch-user');
  env = {
    UPLOAD_API_URL: harness.url,
    UPLOAD_API_TOKEN: api.token,
    UPLOAD_API_CREDENTIALS: '/nonexistent/credentials.json',
    UPLOAD_API_PROGRESS_MS: '50',
  };
});
afterAll(() => harness?.close());

/** Runs and uploads a failed test left going: a watch that never ends must not outlive it. */
const started: CliRun[] = [];
const uploads: UploadTask[] = [];
afterEach(async () => {
  for (const run of started.splice(0)) if (run.child.exitCode === null) run.child.kill();
  await Promise.allSettled(uploads.splice(0).map((task) => task.cancel()));
});

const startCli = (args: readonly string[], extraEnv: Record<string, string>): CliRun => {
  const run = startCliProcess(args, extraEnv);
  started.push(run);
  return run;
};

/** An upload of `chunks` chunks by the SDK, one PUT at a time, each held until the gate opens. */
async function gatedUpload(
  chunks: number,
  name: string,
): Promise<{ task: UploadTask; gate: PutGate; sessionId: string; size: number }> {
  const size = (chunks - 1) * MIN_CHUNK_SIZE + 123_457;
  const gate = new PutGate();
  const task = createUpload(new Blob([randomBytes(size)]), {
    apiUrl: harness.url,
    token: api.token,
    fileName: name,
    chunkSize: MIN_CHUNK_SIZE,
    concurrency: 1,
    storageFetch: gate.storageFetch,
    // Each chunk recorded as soon as it is stored (the SDK batches records by default).
    recordBatch: { size: 1 },
  });
  uploads.push(task);
  const sessionId = await new Promise<string>((resolve, reject) => {
    task.on('session', (session) => resolve(session.sessionId));
    void task.done.then((outcome) => reject(new Error(`the upload ended ${outcome.state}`)));
  });
  return { task, gate, sessionId, size };
}

interface ProgressLine {
  readonly type: 'progress';
  readonly sessionId: string;
  readonly mode: string;
  readonly data: UploadProgressState;
}
interface FinalLine {
  readonly type: 'final';
  readonly status: string;
  readonly uploadedBytes: number;
  readonly exitCode: number;
}
type WatchLine = ProgressLine | FinalLine;

/** The JSON lines `watch --json` prints, as they come, and a way to wait for one. */
function follow(run: CliRun) {
  const lines: WatchLine[] = [];
  const waiters: { test: (line: WatchLine) => boolean; resolve: (line: WatchLine) => void }[] = [];
  let partial = '';
  run.child.stdout?.on('data', (text: string) => {
    partial += text;
    for (let at = partial.indexOf('\n'); at >= 0; at = partial.indexOf('\n')) {
      const line = partial.slice(0, at);
      partial = partial.slice(at + 1);
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as WatchLine;
      lines.push(parsed);
      for (const waiter of [...waiters])
        if (waiter.test(parsed)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(parsed);
        }
    }
  });
  return {
    lines,
    /** The first line (seen or to come) that passes `test`; fails if the CLI ends first. */
    until(test: (line: WatchLine) => boolean, what: string): Promise<WatchLine> {
      const seen = lines.find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ test, resolve });
        void run.done.then((result) =>
          reject(new Error(`watch ended (${result.code}) before ${what}:\n${result.stderr}`)),
        );
      });
    },
  };
}

const progressLines = (lines: readonly WatchLine[]) =>
  lines.filter((line): line is ProgressLine => line.type === 'progress');

/**
 * Watches an upload of `chunks` chunks to its end: the snapshot first, then each chunk's PUT let
 * through once the CLI showed the one before.
 */
async function watchWholeUpload(extraArgs: string[], chunks: number) {
  const { task, gate, sessionId, size } = await gatedUpload(chunks, `watched-${chunks}.bin`);
  const run = startCli(['watch', sessionId, '--json', ...extraArgs], env);
  const cli = follow(run);

  const snapshot = await cli.until((l) => l.type === 'progress', 'the snapshot');
  for (let chunk = 1; chunk < chunks; chunk++) {
    gate.open();
    const bytes = chunk * MIN_CHUNK_SIZE;
    await cli.until(
      (l) => l.type === 'progress' && l.data.uploadedBytes >= bytes,
      `${bytes} bytes recorded`,
    );
  }
  gate.open(); // the last chunk: the upload completes
  const [result, outcome] = await Promise.all([run.done, task.done]);
  return { sessionId, size, snapshot, lines: cli.lines, result, outcome, chunks };
}

function expectWatchedToTheEnd(
  watched: Awaited<ReturnType<typeof watchWholeUpload>>,
  mode: 'socket' | 'polling',
) {
  const { result, outcome, lines, snapshot, size, sessionId, chunks } = watched;
  expect(outcome.state).toBe('succeeded');
  expect(result.code, result.stderr).toBe(0);
  expect(snapshot).toMatchObject({ sessionId, mode, data: { sessionId, uploadedBytes: 0 } });
  const progress = progressLines(lines);
  expect(lines[0]).toBe(snapshot);
  expect(progress.every((line) => line.mode === mode)).toBe(true);
  // Every chunk's step was seen, bytes only ever growing.
  const bytes = progress.map((line) => line.data.uploadedBytes);
  expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
  const steps = Array.from({ length: chunks }, (_, i) => i * MIN_CHUNK_SIZE);
  expect([...new Set(bytes)]).toEqual(expect.arrayContaining([...steps, size]));
  expect(progress.at(-1)?.data).toMatchObject({ status: 'uploaded', uploadedBytes: size });
  expect(lines.at(-1)).toEqual({
    type: 'final',
    sessionId,
    fileId: progress.at(-1)?.data.fileId,
    fileName: `watched-${chunks}.bin`,
    status: 'uploaded',
    uploadedBytes: size,
    totalSize: size,
    exitCode: 0,
  });
  expect(result.stderr).toMatch(
    new RegExp(`^uploaded watched-${chunks}\\.bin .*${sessionId}$`, 'm'),
  );
  expect(result.stderr).not.toContain(api.token);
}

describe('upload-api watch', () => {
  it('follows an upload made elsewhere over the WebSocket, chunk by chunk, to uploaded (exit 0)', async () => {
    // Act
    const watched = await watchWholeUpload([], 4);

    // Assess
    expectWatchedToTheEnd(watched, 'socket');
    expect(watched.result.stderr).toContain(`watching live over ${liveUrl()}`);
  });

  it('follows it the same way by polling with --poll', async () => {
    // Act: 3 chunks (each step waits for a poll, every 2 s).
    const watched = await watchWholeUpload(['--poll'], 3);

    // Assess
    expectWatchedToTheEnd(watched, 'polling');
    expect(watched.result.stderr).not.toMatch(/live|WebSocket/);
  });

  it('exits 1 when the upload it watches is cancelled, and at once for a cancelled one', async () => {
    // Prepare: an upload held at its first chunk, watched from its snapshot on.
    const { task, sessionId } = await gatedUpload(2, 'cancelled.bin');
    const run = startCli(['watch', sessionId], env);
    const live = startCli(['watch', sessionId, '--json'], env);
    await follow(live).until((l) => l.type === 'progress', 'the snapshot');

    // Act
    await task.cancel();
    const [result, liveResult] = await Promise.all([run.done, live.done]);
    const again = await startCli(['watch', sessionId], env).done;

    // Assess
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(`^cancelled cancelled\\.bin \\(0 B of .* stored\\) session ${sessionId}\\n$`),
    );
    expect(result.stderr).toMatch(/^cancelled\.bin {2}0 B \/ .* {2}cancelled$/m);
    expect(liveResult.code).toBe(1);
    expect(liveResult.stdout.trim().split('\n').at(-1)).toContain('"status":"cancelled"');
    expect(again.code, again.stderr).toBe(1);
    expect(again.stdout).toMatch(/^cancelled cancelled\.bin /);
  });

  it("fails with SESSION_NOT_FOUND for another user's session", async () => {
    // Prepare
    const { task, sessionId } = await gatedUpload(1, 'private.bin');
    const other = await harness.as('watch-other-user');

    // Act
    const result = await startCli(['watch', sessionId], { ...env, UPLOAD_API_TOKEN: other.token })
      .done;

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*\(SESSION_NOT_FOUND, HTTP 404\)$/m);
    expect(result.stdout).toBe('');
    expect(task.state).toBe('running'); // cancelled after the test
  });
});

const liveUrl = () => `${harness.url.replace(/^http/, 'ws')}/api/v1/live`;
