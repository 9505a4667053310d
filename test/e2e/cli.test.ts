import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import {
  buildCliForTests,
  lastJsonLine,
  runCli,
  sha256OfFile,
  startCli,
  statsOf,
  writeRandomFile,
} from './cli-runner.ts';

const MIB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let harness: Harness;
let api: ApiClient;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  await buildCliForTests();
  harness = await startHarness();
  api = await harness.as('cli-user');
  dir = await mkdtemp(join(tmpdir(), 'upload-cli-e2e-'));
  env = {
    UPLOAD_API_URL: harness.url,
    UPLOAD_API_TOKEN: api.token,
    UPLOAD_API_STATE: join(dir, 'state', 'sessions.json'),
  };
});
afterAll(async () => {
  await harness?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const storedSessions = async (): Promise<Record<string, { sessionId: string }>> => {
  try {
    return JSON.parse(await readFile(env.UPLOAD_API_STATE as string, 'utf8'));
  } catch {
    return {};
  }
};

/** Polls until the upload the CLI remembers has `count` chunks recorded; its session id. */
async function waitForRecordedChunks(count: number): Promise<string> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(25)) {
    const sessionId = Object.values(await storedSessions())[0]?.sessionId;
    if (!sessionId) continue;
    const progress = await api.request('GET', `/uploads/${sessionId}/progress`);
    if (progress.body.data.chunksUploaded >= count) return sessionId;
  }
  throw new Error(`no upload reached ${count} recorded chunks`);
}

describe('the CLI', () => {
  it('uploads a 64 MiB file in 8 MiB chunks and downloads the same bytes', async () => {
    // Prepare
    const source = join(dir, 'big.bin');
    const digest = await writeRandomFile(source, 64 * MIB);

    // Act
    const uploaded = await runCli(
      ['upload', source, '--chunk-size', String(8 * MIB), '--concurrency', '4'],
      env,
    );

    // Assess
    expect(uploaded.code, uploaded.stderr).toBe(0);
    const record = lastJsonLine<{ sessionId: string; size: number; status: string }>(
      uploaded.stdout,
    );
    expect(record).toMatchObject({ size: 64 * MIB, status: 'uploaded', name: 'big.bin' });
    expect(statsOf(uploaded.stderr)).toMatchObject({
      chunksSent: '8',
      totalChunks: '8',
      resumed: 'false',
    });
    expect(uploaded.stderr).toMatch(/progress: .*100\.0%/);
    expect(await storedSessions()).toEqual({});

    const target = join(dir, 'big.out');
    const downloaded = await runCli(['download', record.sessionId, target], env);
    expect(downloaded.code, downloaded.stderr).toBe(0);
    expect(lastJsonLine(downloaded.stdout)).toMatchObject({ bytes: 64 * MIB });
    expect(await sha256OfFile(target)).toBe(digest);
  });

  it('resumes after being killed, sending only the chunks storage does not hold', async () => {
    // Prepare: 16 chunks of 5 MiB sent one at a time, so the kill lands midway.
    const source = join(dir, 'killed.bin');
    const digest = await writeRandomFile(source, 16 * 5 * MIB);
    const args = ['upload', source, '--concurrency', '1'];
    const first = startCli(args, env);

    // Act: SIGKILL once at least two chunks are recorded.
    const sessionId = await waitForRecordedChunks(2);
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');

    await sleep(500); // let storage finish any part whose body had fully arrived
    const before = await api.request('POST', `/uploads/${sessionId}/resume`);
    const missing: number[] = before.body.data.missingChunks;
    const stored = 16 - missing.length;
    expect(stored).toBeGreaterThanOrEqual(2);
    expect(missing.length).toBeGreaterThan(0);

    const second = await runCli(args, env);

    // Assess
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`resuming ${sessionId}: ${missing.length} of 16 chunks`);
    expect(statsOf(second.stderr)).toEqual({
      chunksSent: String(16 - stored),
      totalChunks: '16',
      resumed: 'true',
      session: sessionId,
    });
    const record = lastJsonLine<{ sessionId: string }>(second.stdout);
    expect(record).toMatchObject({ sessionId, size: 80 * MIB, status: 'uploaded' });
    expect(await storedSessions()).toEqual({});
    const target = join(dir, 'killed.out');
    expect((await runCli(['download', sessionId, target], env)).code).toBe(0);
    expect(await sha256OfFile(target)).toBe(digest);
  });

  it('pauses on SIGINT with exit 130, keeping the session for the next run', async () => {
    const source = join(dir, 'interrupted.bin');
    const digest = await writeRandomFile(source, 10 * 5 * MIB);
    const args = ['upload', source, '--concurrency', '1'];
    const first = startCli(args, env);
    await waitForRecordedChunks(1);
    first.child.kill('SIGINT');
    const interrupted = await first.done;

    expect(interrupted.code, interrupted.stderr).toBe(130);
    const paused = interrupted.stderr.trim().split('\n').at(-1);
    expect(paused).toMatch(/^paused: session \S+ is kept; re-run the same command to resume$/);
    const sessionId = Object.values(await storedSessions())[0]?.sessionId as string;
    expect(paused).toContain(sessionId);

    const second = await runCli(args, env);
    expect(second.code, second.stderr).toBe(0);
    expect(statsOf(second.stderr)).toMatchObject({ resumed: 'true', session: sessionId });
    expect(Number(statsOf(second.stderr).chunksSent)).toBeLessThan(10);
    const target = join(dir, 'interrupted.out');
    expect((await runCli(['download', sessionId, target], env)).code).toBe(0);
    expect(await sha256OfFile(target)).toBe(digest);
  });

  it('fails with one clear line and a non-zero exit', async () => {
    const unknown = await runCli(['status', 'no-such-session'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(
      'error: Upload session not found (SESSION_NOT_FOUND, HTTP 404)',
    );

    const missingFile = await runCli(['upload', join(dir, 'absent.bin')], env);
    expect(missingFile.code).toBe(1);
    expect(missingFile.stderr.trim().split('\n')).toEqual([
      `error: no such file: ${join(dir, 'absent.bin')}`,
    ]);

    const usage = await runCli(['upload'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
  });
});
