/**
 * The built CLI (as `npm run cli` builds it) against the local API and the emulated storage, run
 * as its own process from a temporary folder with relative paths, as a user would run it.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../client/sdk/fingerprint.ts';
import type { ApiClient } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import {
  buildCliForTests,
  type FileLine,
  fileLines,
  jsonLines,
  runCli,
  sha256OfFile,
  startCli,
  writeRandomFile,
} from './cli-runner.ts';

const MIB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the server accepts here: not application/zip, so a .zip file is rejected (415). */
const ALLOWED = 'text/*,image/*,application/json,application/octet-stream';

let harness: Harness;
let api: ApiClient;
let root: string;
let env: Record<string, string>;

beforeAll(async () => {
  await buildCliForTests();
  harness = await startHarness({ ALLOWED_CONTENT_TYPES: ALLOWED });
  api = await harness.as('cli-user');
  root = await mkdtemp(join(tmpdir(), 'upload-cli-e2e-'));
  env = {
    UPLOAD_API_URL: harness.url,
    UPLOAD_API_TOKEN: api.token,
    UPLOAD_API_STATE: join(root, 'state', 'sessions.json'),
    UPLOAD_API_PROGRESS_MS: '50',
  };
});
afterAll(async () => {
  await harness?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** A fresh folder to run the CLI in. */
const workFolder = (name: string) => mkdtemp(join(root, `${name}-`));

async function writeText(path: string, text: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  return createHash('sha256').update(text).digest('hex');
}

async function randomFile(path: string, size: number): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  return writeRandomFile(path, size);
}

const storedSessions = async (
  statePath: string,
): Promise<Record<string, { sessionId: string }>> => {
  try {
    return JSON.parse(await readFile(statePath, 'utf8'));
  } catch {
    return {};
  }
};

/**
 * Polls until the upload the CLI remembers (in the state file) has `count` chunks recorded (0:
 * until its session exists); its session id.
 */
async function waitForRecordedChunks(
  statePath: string,
  count: number,
  client: ApiClient = api,
): Promise<string> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(25)) {
    const sessionId = Object.values(await storedSessions(statePath))[0]?.sessionId;
    if (!sessionId) continue;
    const progress = await client.request('GET', `/uploads/${sessionId}/progress`);
    if (progress.body.data.chunksUploaded >= count) return sessionId;
  }
  throw new Error(`no upload reached ${count} recorded chunks`);
}

/** The stored object of an uploaded session: its SHA-256 (hex) and content type. */
async function storedObject(
  sessionId: string,
  client: ApiClient = api,
): Promise<{ sha256: string; contentType: string | undefined }> {
  const session = await client.request('GET', `/uploads/${sessionId}`);
  const object = await harness.s3.send(
    new GetObjectCommand({ Bucket: harness.bucket, Key: session.body.data.key }),
  );
  const hash = createHash('sha256');
  for await (const chunk of object.Body as Readable) hash.update(chunk as Buffer);
  return { sha256: hash.digest('hex'), contentType: object.ContentType };
}

const summaryOf = (stdout: string) =>
  jsonLines<Record<string, unknown>>(stdout).find((line) => line.type === 'summary');

describe('the CLI', () => {
  it('prints its version and the help of each command', async () => {
    const manifest = JSON.parse(
      await readFile(new URL('../../client/package.json', import.meta.url), 'utf8'),
    );

    const version = await runCli(['--version'], {});
    const help = await runCli(['upload', '--help'], {});
    const helpTopic = await runCli(['help', 'upload'], {});
    const statusHelp = await runCli(['status', '-h'], {});

    expect(version).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: upload-api upload <paths\.\.\.>/);
    expect(help.stdout).toContain('--include GLOB');
    expect(helpTopic.stdout).toBe(help.stdout);
    expect(statusHelp.stdout).toMatch(/^usage: upload-api status <id>/);
  });

  it('uploads a folder of mixed files from the current folder, filtered, and reports the one refused', async () => {
    // Prepare: relative paths from a folder that is not the repository.
    const cwd = await workFolder('mixed');
    const digests = {
      'photos/a.txt': await writeText(join(cwd, 'photos/a.txt'), 'hello\n'),
      'photos/notes/readme.md': await writeText(join(cwd, 'photos/notes/readme.md'), '# notes\n'),
      'photos/data/values.json': await writeText(join(cwd, 'photos/data/values.json'), '{"a":1}'),
      'photos/img/pic.png': await randomFile(join(cwd, 'photos/img/pic.png'), 300 * 1024),
      'photos/big/multi.bin': await randomFile(join(cwd, 'photos/big/multi.bin'), 12 * MIB),
    };
    await randomFile(join(cwd, 'photos/archive.zip'), 2048); // application/zip: refused
    await writeText(join(cwd, 'photos/raw.tiff'), 'not included'); // matches no --include
    await writeText(join(cwd, 'photos/notes/draft-1.md'), 'excluded by name');
    await writeText(join(cwd, 'photos/skip/ignored.txt'), 'excluded with its folder');
    const args = [
      'upload',
      'photos',
      ...['--include', '*.txt', '--include', '*.md', '--include', '**/*.json'],
      ...['--include', 'img/*', '--include', 'big/**', '--include', '*.zip'],
      ...['--exclude', 'skip', '--exclude', 'draft-*'],
      ...['--files', '3', '--json'],
    ];

    // Act
    const result = await runCli(args, env, { cwd });

    // Assess: exit 1 because one file was refused; each file's line and the summary.
    expect(result.code, result.stderr).toBe(1);
    const files = fileLines(result.stdout);
    expect([...files.keys()].sort()).toEqual(
      [...Object.keys(digests), 'photos/archive.zip'].sort(),
    );
    expect(files.get('photos/archive.zip')).toMatchObject({
      state: 'rejected',
      path: join('photos', 'archive.zip'),
      error: { code: 'UNSUPPORTED_CONTENT_TYPE' },
    });
    expect(summaryOf(result.stdout)).toMatchObject({
      files: 6,
      succeeded: 5,
      rejected: 1,
      errored: 0,
      cancelled: 0,
      timedOut: 0,
      exitCode: 1,
    });
    expect(result.stderr).toMatch(/^summary: 5 succeeded, 0 cancelled, 0 timed out, 1 rejected/m);
    expect(result.stderr).toMatch(
      /^ {2}rejected: photos\/archive\.zip: .*UNSUPPORTED_CONTENT_TYPE/m,
    );
    // Progress: lines for the running files and the total, with speed.
    expect(result.stderr).toMatch(/^photos\/big\/multi\.bin {2}.* \/ 12\.0 MiB {2}\d+\.\d%/m);
    expect(result.stderr).toMatch(/^total {2}\d\/6 files, \d running {2}.* \/ .*%/m);

    const expectedTypes: Record<string, string> = {
      'photos/a.txt': 'text/plain',
      'photos/notes/readme.md': 'text/markdown',
      'photos/data/values.json': 'application/json',
      'photos/img/pic.png': 'image/png',
      'photos/big/multi.bin': 'application/octet-stream',
    };
    for (const [name, digest] of Object.entries(digests)) {
      const line = files.get(name) as FileLine;
      expect(line, name).toMatchObject({ state: 'succeeded', contentType: expectedTypes[name] });
      const stored = await storedObject(line.sessionId as string);
      expect(stored, name).toEqual({ sha256: digest, contentType: expectedTypes[name] });
    }
    expect(files.get('photos/big/multi.bin')).toMatchObject({ totalChunks: 3, chunksSent: 3 });
  });

  it('uploads a file, then downloads it into a folder without overwriting unless forced', async () => {
    // Prepare
    const cwd = await workFolder('download');
    const digest = await randomFile(join(cwd, 'big.bin'), 64 * MIB);

    // Act
    const uploaded = await runCli(
      ['upload', 'big.bin', '--chunk-size', '8MiB', '--concurrency', '4', '--json'],
      env,
      { cwd },
    );

    // Assess
    expect(uploaded.code, uploaded.stderr).toBe(0);
    const line = fileLines(uploaded.stdout).get('big.bin') as FileLine;
    expect(line).toMatchObject({
      state: 'succeeded',
      size: 64 * MIB,
      totalChunks: 8,
      chunksSent: 8,
      resumed: false,
    });
    expect(await storedSessions(env.UPLOAD_API_STATE as string)).toEqual({});

    await mkdir(join(cwd, 'out'));
    const first = await runCli(['download', line.fileId as string, '--out', 'out'], env, { cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`saved ${join(cwd, 'out', 'big.bin')}`);
    expect(await sha256OfFile(join(cwd, 'out', 'big.bin'))).toBe(digest);

    await writeFile(join(cwd, 'out', 'big.bin'), 'mine');
    const refused = await runCli(['download', line.fileId as string, '--out', 'out/'], env, {
      cwd,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `error: ${join(cwd, 'out', 'big.bin')} exists; pass --force to overwrite it`,
    );
    expect(await readFile(join(cwd, 'out', 'big.bin'), 'utf8')).toBe('mine');

    const forced = await runCli(['download', line.sessionId as string, '--force'], env, {
      cwd: join(cwd, 'out'),
    });
    expect(forced.code, forced.stderr).toBe(0);
    expect(await sha256OfFile(join(cwd, 'out', 'big.bin'))).toBe(digest);
  });

  it('resumes after being killed, sending only the chunks storage does not hold', async () => {
    // Prepare: 16 chunks of 5 MiB sent one at a time, so the kill lands midway.
    const cwd = await workFolder('killed');
    const state = join(cwd, 'state.json');
    const runEnv = { ...env, UPLOAD_API_STATE: state };
    const digest = await randomFile(join(cwd, 'killed.bin'), 16 * 5 * MIB);
    const args = ['upload', 'killed.bin', '--concurrency', '1', '--json'];
    const first = startCli(args, runEnv, { cwd });

    // Act: SIGKILL once at least two chunks are recorded.
    const sessionId = await waitForRecordedChunks(state, 2);
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');

    const second = await runCli(args, runEnv, { cwd });

    // Assess: the second run resumed the same session, with what storage held (parts whose
    // record was lost with the killed process count too), and sent only the rest.
    expect(second.code, second.stderr).toBe(0);
    const said = new RegExp(
      `^resuming killed\\.bin: (\\d+)/16 chunks stored \\(session ${sessionId}\\)$`,
      'm',
    ).exec(second.stderr);
    expect(said, second.stderr).not.toBeNull();
    const stored = Number(said?.[1]);
    // Records trail the PUTs (batched), so on a fast run every part may be stored by the kill.
    expect(stored).toBeGreaterThanOrEqual(2);
    expect(stored).toBeLessThanOrEqual(16);
    expect(fileLines(second.stdout).get('killed.bin')).toMatchObject({
      state: 'succeeded',
      sessionId,
      resumed: true,
      chunksSent: 16 - stored,
      totalChunks: 16,
      size: 80 * MIB,
    });
    expect(await storedSessions(state)).toEqual({});
    expect((await storedObject(sessionId)).sha256).toBe(digest);
  });

  it('pauses on Ctrl-C with exit 130; status shows no ETA; the same command resumes', async () => {
    // Prepare
    const cwd = await workFolder('interrupted');
    const state = join(cwd, 'state.json');
    const runEnv = { ...env, UPLOAD_API_STATE: state };
    const digest = await randomFile(join(cwd, 'movies', 'interrupted.bin'), 10 * 5 * MIB);
    const args = ['upload', 'movies', '--concurrency', '1'];
    const first = startCli(args, runEnv, { cwd });
    const sessionId = await waitForRecordedChunks(state, 1);

    // Act
    first.child.kill('SIGINT');
    const interrupted = await first.done;

    // Assess: the session is kept, said so, and a paused upload shows no ETA.
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr.trim().split('\n').at(-1)).toBe(
      'interrupted: the session is kept: run the same command again to resume',
    );
    expect(interrupted.stdout).toMatch(/^summary: 0 succeeded, .*, 1 unfinished \(1 file;/m);
    expect(Object.values(await storedSessions(state))[0]?.sessionId).toBe(sessionId);

    const status = await runCli(['status', sessionId], runEnv, { cwd });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^file: +movies\/interrupted\.bin$/m);
    expect(status.stdout).toMatch(/^status: +(initiated|uploading)$/m);
    expect(status.stdout).toMatch(/^chunks: +\d+ \/ 10$/m);
    expect(status.stdout).toMatch(/^speed: +not moving/m);
    expect(status.stdout).toMatch(/^ETA: +none while not moving$/m);

    const second = await runCli([...args, '--json'], runEnv, { cwd });
    expect(second.code, second.stderr).toBe(0);
    const said = /resuming movies\/interrupted\.bin: (\d+)\/10 chunks stored/.exec(second.stderr);
    expect(said, second.stderr).not.toBeNull();
    const line = fileLines(second.stdout).get('movies/interrupted.bin') as FileLine;
    expect(line).toMatchObject({ state: 'succeeded', sessionId, resumed: true });
    expect(line.chunksSent).toBe(10 - Number(said?.[1]));
    expect(line.chunksSent).toBeLessThan(10);
    expect((await storedObject(sessionId)).sha256).toBe(digest);
  });

  it('starts over, and says so, when the stored session is gone', async () => {
    // Prepare: the state file remembers a session that was cancelled meanwhile.
    const cwd = await workFolder('gone');
    const state = join(cwd, 'state.json');
    const digest = await writeText(join(cwd, 'gone.txt'), 'starts over\n');
    const started = await api.initiate({ fileName: 'gone.txt', fileSize: 12, checksum: 'NONE' });
    const goneId: string = started.body.data.id;
    await api.request('DELETE', `/uploads/${goneId}`);
    const { mtimeMs } = await stat(join(cwd, 'gone.txt'));
    const key = fingerprint({
      apiUrl: harness.url,
      name: 'gone.txt',
      size: 12,
      lastModified: Math.trunc(mtimeMs),
    });
    const entry = {
      sessionId: goneId,
      fileName: 'gone.txt',
      fileSize: 12,
      chunkSize: 12,
      totalChunks: 1,
      checksum: 'NONE',
      createdAt: new Date().toISOString(),
    };
    await writeFile(state, JSON.stringify({ [key]: entry }));

    // Act
    const result = await runCli(
      ['upload', 'gone.txt', '--json'],
      { ...env, UPLOAD_API_STATE: state },
      {
        cwd,
      },
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `the stored session ${goneId} of gone.txt is gone (expired, cancelled or failed): the upload starts over`,
    );
    const line = fileLines(result.stdout).get('gone.txt') as FileLine;
    expect(line.sessionId).not.toBe(goneId);
    expect((await storedObject(line.sessionId as string)).sha256).toBe(digest);
  });

  it('shows and deletes an upload by the file id it printed', async () => {
    const cwd = await workFolder('by-file-id');
    await writeText(join(cwd, 'note.txt'), 'by file id\n');
    const uploaded = await runCli(['upload', 'note.txt', '--json'], env, { cwd });
    expect(uploaded.code, uploaded.stderr).toBe(0);
    const { fileId, sessionId } = fileLines(uploaded.stdout).get('note.txt') as FileLine;
    expect(fileId).not.toBe(sessionId);

    const status = await runCli(['status', fileId as string], env, { cwd });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^status: +uploaded$/m);
    expect(status.stdout).toMatch(/^percent: +100\.0%$/m);
    expect(status.stdout).toContain(`session: ${sessionId}`);
    expect(status.stdout).not.toMatch(/ETA/);
    const raw = await runCli(['status', fileId as string, '--json'], env, { cwd });
    expect(JSON.parse(raw.stdout)).toMatchObject({ sessionId, fileId, status: 'uploaded' });

    const deleted = await runCli(['delete', fileId as string], env, { cwd });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout.trim()).toBe(`deleted ${sessionId} (note.txt)`);
    const after = await api.request('GET', `/uploads/${sessionId}`);
    expect(after.body.data.status).toBe('deleted');
  });

  it('lists the caller sessions and cancels every active one with cancel --all', async () => {
    // Prepare: a user of its own with three unfinished sessions and one finished.
    const user = await harness.as('cli-cancel-all');
    const userEnv = { ...env, UPLOAD_API_TOKEN: user.token };
    const ids: string[] = [];
    for (const name of ['one.bin', 'two.bin', 'three.bin']) {
      const started = await user.initiate({ fileName: name, fileSize: 10, checksum: 'NONE' });
      ids.push(started.body.data.id);
    }
    const cwd = await workFolder('cancel-all');
    await writeText(join(cwd, 'done.txt'), 'finished\n');
    expect((await runCli(['upload', 'done.txt'], userEnv, { cwd })).code).toBe(0);

    // Act
    const cancelled = await runCli(['cancel', '--all'], userEnv, { cwd });

    // Assess
    expect(cancelled.code, cancelled.stderr).toBe(0);
    for (const id of ids) expect(cancelled.stdout).toContain(`cancelled ${id}`);
    expect(cancelled.stdout).toContain('3 of 3 active uploads cancelled');
    const active = await runCli(['list', '--status', 'active'], userEnv, { cwd });
    expect(active.stdout.trim()).toBe('no active uploads');
    const all = await runCli(['list'], userEnv, { cwd });
    const rows = all.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^SESSION +FILE ID +STATUS +PROGRESS +CREATED +NAME$/);
    expect(rows.filter((row) => / cancelled /.test(row))).toHaveLength(3);
    expect(rows.filter((row) => / uploaded .*done\.txt$/.test(row))).toHaveLength(1);
    for (const id of ids)
      expect((await user.request('GET', `/uploads/${id}`)).body.data.status).toBe('cancelled');
  });

  it('keeps the session and says the same command resumes when the API becomes unreachable', async () => {
    // Prepare: the API behind a proxy that is taken away once the session exists.
    const proxy = await startTcpProxy(harness.url);
    const user = await harness.as('cli-unreachable');
    const cwd = await workFolder('unreachable');
    const state = join(cwd, 'state.json');
    const runEnv = {
      ...env,
      UPLOAD_API_URL: proxy.url,
      UPLOAD_API_TOKEN: user.token,
      UPLOAD_API_STATE: state,
      UPLOAD_API_RETRY_MS: '1000',
    };
    const digest = await randomFile(join(cwd, 'far.bin'), 20 * 5 * MIB);
    const args = ['upload', 'far.bin', '--concurrency', '1'];
    try {
      const first = startCli(args, runEnv, { cwd });
      const sessionId = await waitForRecordedChunks(state, 0, user);

      // Act
      await proxy.stop();
      const cut = await first.done;

      // Assess
      expect(cut.code, cut.stderr).toBe(1);
      expect(cut.stdout).toMatch(/^errored far\.bin: the API is unreachable: /m);
      expect(cut.stdout).toContain(
        `the session ${sessionId} is kept: run the same command again to resume`,
      );
      expect(cut.stderr).toMatch(
        /^stopped: the API is unreachable: .*; the session is kept: run the same command again to resume$/m,
      );

      await proxy.resume();
      const again = await runCli([...args, '--json'], runEnv, { cwd });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain(`resuming far.bin:`);
      const line = fileLines(again.stdout).get('far.bin') as FileLine;
      expect(line).toMatchObject({ state: 'succeeded', sessionId, resumed: true });
      expect((await storedObject(sessionId as string, user)).sha256).toBe(digest);
    } finally {
      await proxy.close();
    }
  });

  it('fails with clear lines and a non-zero exit', async () => {
    const cwd = await workFolder('failures');
    const unknown = await runCli(['status', 'no-such-session'], env, { cwd });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(
      'error: No upload has the session or file id no-such-session (SESSION_NOT_FOUND, HTTP 404)',
    );

    const missingFile = await runCli(['upload', 'absent.bin'], env, { cwd });
    expect(missingFile.code).toBe(1);
    expect(missingFile.stderr.trim().split('\n')).toEqual(['error: no such file: absent.bin']);

    const usage = await runCli(['upload'], env, { cwd });
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);

    await writeText(join(cwd, 'x.txt'), 'x');
    const nowhere = await runCli(
      ['upload', 'x.txt'],
      { ...env, UPLOAD_API_URL: 'http://127.0.0.1:9', UPLOAD_API_RETRY_MS: '200' },
      { cwd },
    );
    expect(nowhere.code).toBe(1);
    expect(nowhere.stdout).toMatch(
      /^errored x\.txt: the API is unreachable: .*; nothing was stored yet: run the same command again to retry$/m,
    );
  });
});
