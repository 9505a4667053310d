import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCommandLine, UsageError } from '../../../client/cli/args.ts';
import { callerFolder } from '../../../client/cli/caller-folder.ts';
import {
  collectFiles,
  contentTypeOf,
  duplicateNames,
  globMatcher,
  type LocalFile,
  PathError,
} from '../../../client/cli/collect-files.ts';
import { safeName, targetPath } from '../../../client/cli/download-command.ts';
import { errorLine } from '../../../client/cli/errors.ts';
import {
  fileProgressLine,
  formatBytes,
  formatDuration,
  formatEta,
  formatRate,
  parseDuration,
  parseSize,
  progressText,
  statusLines,
  summaryLines,
  table,
  totalProgressLine,
} from '../../../client/cli/format.ts';
import { COMMAND_HELP, type CommandName, USAGE } from '../../../client/cli/help.ts';
import { liveOutput } from '../../../client/cli/live-output.ts';
import { retryBudgetFrom, retryForBudget } from '../../../client/cli/retry-budget.ts';
import { run } from '../../../client/cli/run.ts';
import { unauthorizedLine } from '../../../client/cli/token-expiry.ts';
import { RunProgress, STALL_MS } from '../../../client/cli/upload-progress.ts';
import { readVersion, version } from '../../../client/cli/version.ts';
import { watchCommand } from '../../../client/cli/watch-command.ts';
import { WatchedProgress } from '../../../client/cli/watch-progress.ts';
import { UploadApiClient } from '../../../client/sdk/api.ts';
import { UploadApiError, UploadStorageError } from '../../../client/sdk/errors.ts';
import type { UploadProgress } from '../../../client/sdk/progress.ts';
import type { UploadProgressState } from '../../../client/sdk/types.ts';
import type { WebSocketLike } from '../../../client/sdk/watch.ts';

const MIB = 1024 * 1024;
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A JWT (unsigned: only its claims matter here) that expired `ago` ms ago. */
const jwtExpiredAgo = (ago: number, now = Date.now()) => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ sub: 'u', exp: Math.floor((now - ago) / 1000) })}.sig`;
};

const progress = (sentBytes: number, totalBytes: number, extra: Partial<UploadProgress> = {}) =>
  ({
    bytesUploaded: sentBytes,
    sentBytes,
    confirmedBytes: sentBytes,
    totalBytes,
    percent: 0,
    bytesPerSecond: 0,
    etaSeconds: null,
    chunksUploaded: 0,
    totalChunks: 1,
    chunksSent: 0,
    ...extra,
  }) satisfies UploadProgress;

/** Runs the CLI with a fetch that answers from `answer` and logs the requests. */
async function runWith(
  argv: string[],
  answer: (url: string, init?: RequestInit) => Response,
  env: Record<string, string> = {},
) {
  const requests: string[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    requests.push(`${init?.method ?? 'GET'} ${url}`);
    return answer(url, init);
  });
  const out: string[] = [];
  const err: string[] = [];
  const sink = (lines: string[]) => ({ write: (text: string) => lines.push(text) });
  const code = await run([...argv, '--api', 'http://api.test'], {
    stdout: sink(out),
    stderr: sink(err),
    env: { UPLOAD_API_CREDENTIALS: '/nonexistent/credentials.json', ...env },
    signal: new AbortController().signal,
    cwd: '/work',
  });
  return { code, requests, stdout: out.join(''), stderr: err.join('') };
}

describe('CLI formatting', () => {
  it('formats sizes, rates and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(64 * MIB)).toBe('64.0 MiB');
    expect(formatRate(12_345_678)).toBe('12.3 MB/s');
    expect(formatEta(null)).toBe('--:--');
    expect(formatEta(0)).toBe('0:00');
    expect(formatEta(61.2)).toBe('1:02');
    expect(formatEta(3 * 3600 + 5)).toBe('3:00:05');
    expect(formatDuration(400)).toBe('0.4 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(2 * 3600_000 + 240_000)).toBe('2 h 4 min');
  });

  it('shows a moving upload with its speed and ETA, and one not moving without an ETA', () => {
    const moving = {
      sentBytes: 32 * MIB,
      totalBytes: 64 * MIB,
      bytesPerSecond: 10_000_000,
      etaSeconds: 4,
      moving: true,
    };
    expect(fileProgressLine('photos/a.bin', moving)).toBe(
      'photos/a.bin  32.0 MiB / 64.0 MiB  50.0%  10.0 MB/s  ETA 0:04',
    );
    expect(fileProgressLine('a.bin', moving, 10)).toBe(
      'a.bin  [#####.....] 32.0 MiB / 64.0 MiB  50.0%  10.0 MB/s  ETA 0:04',
    );
    const paused = { ...moving, moving: false, note: 'paused' };
    expect(progressText(paused)).toBe('32.0 MiB / 64.0 MiB  50.0%  paused');
    expect(progressText({ ...moving, moving: false })).toBe('32.0 MiB / 64.0 MiB  50.0%  stalled');
    expect(progressText({ ...moving, etaSeconds: null })).toBe(
      '32.0 MiB / 64.0 MiB  50.0%  10.0 MB/s',
    );
    expect(progressText({ ...moving, sentBytes: 64 * MIB, etaSeconds: 0 })).toBe(
      '64.0 MiB / 64.0 MiB  100.0%  10.0 MB/s',
    );
  });

  it('shows the total over all files', () => {
    const view = {
      sentBytes: 40 * MIB,
      totalBytes: 80 * MIB,
      bytesPerSecond: 12_000_000,
      etaSeconds: 3.5,
      moving: true,
    };
    expect(totalProgressLine({ files: 7, finished: 3, running: 2 }, view)).toBe(
      'total  3/7 files, 2 running  40.0 MiB / 80.0 MiB  50.0%  12.0 MB/s  ETA 0:04',
    );
  });

  it('sums up a run: a count per outcome, and each failed file with its reason', () => {
    const lines = summaryLines(
      [
        { name: 'a.txt', state: 'succeeded', bytes: 10 },
        { name: 'b.zip', state: 'rejected', bytes: 5, reason: 'not allowed (415)' },
        { name: 'c.bin', state: 'errored', bytes: 5, reason: 'the API is unreachable' },
        { name: 'd.bin', state: 'timedOut', bytes: 5, reason: 'timed out after 1000 ms' },
      ],
      2000,
      4 * MIB,
      2,
    );
    expect(lines).toEqual([
      'summary: 1 succeeded, 0 cancelled, 1 timed out, 1 rejected, 1 errored, 2 unfinished ' +
        '(6 files; 4.0 MiB sent in 2.0 s, 2.1 MB/s)',
      '  rejected: b.zip: not allowed (415)',
      '  errored: c.bin: the API is unreachable',
      '  timed out: d.bin: timed out after 1000 ms',
    ]);
  });

  it('shows a session status, with an ETA only for an upload that moves', () => {
    const base = {
      sessionId: 's1',
      fileId: 'f1',
      fileName: 'big.iso',
      status: 'uploading',
      chunksUploaded: 37,
      totalChunks: 120,
      uploadedBytes: 37 * 5 * MIB,
      totalSize: 600 * MIB,
      percentComplete: 30.83,
      expiresAt: '2030-01-01T00:00:00.000Z',
    };
    const moving = statusLines({ ...base, bytesPerSecond: 20 * MIB });
    expect(moving).toContain('speed:   21.0 MB/s');
    expect(moving).toContain('ETA:     0:21');
    expect(moving).toContain('chunks:  37 / 120');
    expect(moving).toContain('percent: 30.8%');
    const still = statusLines({ ...base, bytesPerSecond: 0 });
    expect(still).toContain('speed:   not moving (paused or interrupted)');
    expect(still).toContain('ETA:     none while not moving');
    const done = statusLines({ ...base, status: 'uploaded', bytesPerSecond: undefined });
    expect(done.join('\n')).not.toMatch(/ETA|speed/);
  });

  it('pads table columns to the widest cell', () => {
    expect(
      table([
        ['ID', 'NAME'],
        ['abc', 'x'],
      ]),
    ).toEqual(['ID   NAME', 'abc  x']);
  });

  it('parses sizes with binary units and durations', () => {
    expect(parseSize('8388608')).toBe(8 * MIB);
    expect(parseSize('8MiB')).toBe(8 * MIB);
    expect(parseSize('8m')).toBe(8 * MIB);
    expect(parseSize('1G')).toBe(1024 * MIB);
    expect(parseSize('5 MB')).toBe(5 * MIB);
    expect(parseSize('eight')).toBeUndefined();
    expect(parseSize('-1')).toBeUndefined();
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5')).toBe(1500);
    expect(parseDuration('soon')).toBeUndefined();
  });
});

describe('RunProgress (the live lines of an upload run)', () => {
  const files = [
    { name: 'a.bin', size: 100 * MIB },
    { name: 'b.bin', size: 100 * MIB },
    { name: 'c.bin', size: 50 * MIB },
  ];

  it('shows each running file and the total with speed and ETA while bytes move', () => {
    const run = new RunProgress(files, 0);
    run.setState(0, 'running', 0);
    run.progress(0, progress(0, 100 * MIB), 0);
    run.progress(
      0,
      progress(50 * MIB, 100 * MIB, { bytesPerSecond: 10 * MIB, etaSeconds: 5 }),
      5000,
    );

    const lines = run.frame(5000, undefined);

    expect(lines).toEqual([
      'a.bin  50.0 MiB / 100.0 MiB  50.0%  10.5 MB/s  ETA 0:05',
      `total  0/3 files, 1 running  50.0 MiB / 250.0 MiB  20.0%  10.5 MB/s  ETA 0:20`,
    ]);
    expect(run.bytesSent).toBe(50 * MIB);
  });

  it('counts what earlier runs stored as done, but not in the speed', () => {
    const run = new RunProgress(files.slice(0, 1), 0);
    run.setState(0, 'running', 0);
    run.progress(0, progress(80 * MIB, 100 * MIB), 0); // resumed: 80 MiB were stored before
    run.progress(
      0,
      progress(90 * MIB, 100 * MIB, { bytesPerSecond: 5 * MIB, etaSeconds: 2 }),
      2000,
    );

    expect(run.bytesSent).toBe(10 * MIB);
    expect(run.totalView(2000)).toMatchObject({ sentBytes: 90 * MIB, totalBytes: 100 * MIB });
  });

  it('shows no ETA for a file that stopped moving, a paused one, or one being retried', () => {
    const run = new RunProgress(files, 0);
    run.setState(0, 'running', 0);
    run.progress(0, progress(0, 100 * MIB), 0);
    run.progress(
      0,
      progress(10 * MIB, 100 * MIB, { bytesPerSecond: 5 * MIB, etaSeconds: 18 }),
      1000,
    );
    const later = 1000 + STALL_MS + 1000;

    expect(run.fileView(0, 2000)).toMatchObject({ moving: true, etaSeconds: 18 });
    expect(run.fileView(0, later)).toMatchObject({ moving: false, etaSeconds: null });
    expect(run.frame(later, undefined)[0]).toBe(
      'a.bin  10.0 MiB / 100.0 MiB  10.0%  stalled for 6 s',
    );
    expect(run.frame(later, undefined)[1]).not.toMatch(/ETA/);

    run.retrying(0, 'the API is unreachable');
    expect(run.frame(2000, undefined)[0]).toMatch(/10\.0% {2}retrying: the API is unreachable$/);

    run.setState(0, 'paused', 2000);
    expect(run.fileView(0, 2000)).toMatchObject({
      moving: false,
      etaSeconds: null,
      note: 'paused',
    });
  });

  it('leaves failed files out of the total and counts finished ones', () => {
    const run = new RunProgress(files, 0);
    run.setState(0, 'running', 0);
    run.setState(0, 'succeeded', 10);
    run.setState(1, 'rejected', 10);

    expect(run.counts()).toEqual({ files: 3, finished: 2, running: 0 });
    expect(run.totalView(10)).toMatchObject({
      sentBytes: 100 * MIB,
      totalBytes: 150 * MIB,
      moving: false,
      etaSeconds: null,
    });
  });
});

describe('parseCommandLine', () => {
  const env = { UPLOAD_API_URL: 'http://env:1', UPLOAD_API_TOKEN: 'env-token' };

  it('reads upload options: paths, repeatable globs, parallelism and flags', () => {
    const { command, connection } = parseCommandLine(
      [
        ...['upload', 'photos', 'notes.txt', '--include', '*.jpg', '--include', 'raw/**'],
        ...['--exclude', 'tmp', '--files', '3', '--concurrency', '8', '--chunk-size', '8MiB'],
        ...['--timeout', '30m', '--no-checksum', '--json'],
      ],
      env,
    );
    expect(command).toEqual({
      name: 'upload',
      paths: ['photos', 'notes.txt'],
      include: ['*.jpg', 'raw/**'],
      exclude: ['tmp'],
      files: 3,
      concurrency: 8,
      chunkSize: 8 * MIB,
      contentType: undefined,
      timeoutMs: 1_800_000,
      checksum: false,
      resume: true,
      dryRun: false,
      json: true,
    });
    // UPLOAD_API_TOKEN is read with the other token sources (credentials.ts), not here.
    expect(connection).toEqual({
      apiUrl: 'http://env:1',
      token: undefined,
      tokenCommand: undefined,
    });
  });

  it('reads the other commands and the global options', () => {
    expect(
      parseCommandLine(['status', 'x', '--api', 'http://a', '--token', 't', '--json'], env),
    ).toEqual({
      command: { name: 'status', id: 'x', json: true },
      connection: { apiUrl: 'http://a', token: 't', tokenCommand: undefined },
    });
    expect(parseCommandLine(['list', '--token-command', 'get-token'], {}).connection).toEqual({
      apiUrl: undefined,
      token: undefined,
      tokenCommand: 'get-token',
    });
    expect(parseCommandLine(['delete', 'x'], env).command).toEqual({ name: 'delete', id: 'x' });
    expect(parseCommandLine(['cancel', 'x'], env).command).toEqual({
      name: 'cancel',
      id: 'x',
      all: false,
    });
    expect(parseCommandLine(['cancel', '--all'], env).command).toEqual({
      name: 'cancel',
      id: undefined,
      all: true,
    });
    expect(parseCommandLine(['download', 'x'], {}).command).toEqual({
      name: 'download',
      id: 'x',
      out: undefined,
      force: false,
    });
    expect(parseCommandLine(['download', 'x', '--out', 'dir/', '--force'], {}).command).toEqual({
      name: 'download',
      id: 'x',
      out: 'dir/',
      force: true,
    });
    expect(parseCommandLine(['download', 'x', 'copy.iso'], {}).command).toMatchObject({
      out: 'copy.iso',
    });
    expect(parseCommandLine(['list', '--status', 'active', '--limit', '5'], {}).command).toEqual({
      name: 'list',
      status: 'active',
      limit: 5,
      json: false,
    });
    expect(parseCommandLine(['watch', 'x'], env).command).toEqual({
      name: 'watch',
      id: 'x',
      liveUrl: undefined,
      json: false,
      poll: false,
    });
    expect(
      parseCommandLine(
        ['watch', 'f-1', '--live-url', 'wss://live.example.com/prod', '--json', '--poll'],
        { UPLOAD_API_LIVE_URL: 'wss://from-env' },
      ).command,
    ).toEqual({
      name: 'watch',
      id: 'f-1',
      liveUrl: 'wss://live.example.com/prod',
      json: true,
      poll: true,
    });
    expect(
      parseCommandLine(['watch', 'x'], { UPLOAD_API_LIVE_URL: 'wss://from-env/prod' }).command,
    ).toMatchObject({ liveUrl: 'wss://from-env/prod' });
    // login and logout keep their own options (auth.ts parses them).
    expect(parseCommandLine(['login', '--username', 'me', '--help'], {}).command).toEqual({
      name: 'login',
      args: ['--username', 'me', '--help'],
    });
  });

  it('rejects wrong usage with a UsageError naming the command', () => {
    for (const argv of [
      ['frob'],
      ['upload'],
      ['upload', 'a', '--files', '0'],
      ['upload', 'a', '--concurrency', '65'],
      ['upload', 'a', '--chunk-size', 'big'],
      ['upload', 'a', '--timeout', 'soon'],
      ['upload', 'a', '--bogus'],
      ['upload', 'a', '--include'],
      ['status', 'a', '--all'],
      ['list', '--status', 'weird'],
      ['list', 'extra'],
      ['delete'],
      ['delete', 'a', 'b'],
      ['cancel'],
      ['cancel', 'a', '--all'],
      ['download', 'a', 'b', '--out', 'c'],
      ['help', 'frob'],
      ['watch'],
      ['watch', 'a', 'b'],
      ['watch', 'a', '--all'],
      ['watch', 'a', '--live-url'],
      ['watch', 'a', '--live-url', 'https://api.example.com'],
      ['watch', 'a', '--live-url', 'not a url'],
    ])
      expect(() => parseCommandLine(argv, env), argv.join(' ')).toThrow(UsageError);
    expect(() => parseCommandLine(['watch', 'a'], { UPLOAD_API_LIVE_URL: 'http://x' })).toThrow(
      /^UPLOAD_API_LIVE_URL must be a ws:\/\/ or wss:\/\/ URL/,
    );
    const error = (() => {
      try {
        parseCommandLine(['upload', 'a', '--bogus'], env);
      } catch (thrown) {
        return thrown as UsageError;
      }
    })();
    expect(error?.command).toBe('upload');
    expect(error?.message).toBe("Unknown option '--bogus'");
  });

  it('answers help for each command, and the version', () => {
    expect(parseCommandLine([], env).command).toEqual({ name: 'help' });
    expect(parseCommandLine(['help'], env).command).toEqual({ name: 'help' });
    expect(parseCommandLine(['help', 'upload'], env).command).toEqual({
      name: 'help',
      topic: 'upload',
    });
    expect(parseCommandLine(['upload', '-h'], env).command).toEqual({
      name: 'help',
      topic: 'upload',
    });
    expect(parseCommandLine(['download', '--help'], env).command).toEqual({
      name: 'help',
      topic: 'download',
    });
    expect(parseCommandLine(['watch', 'x', '--help'], env).command).toEqual({
      name: 'help',
      topic: 'watch',
    });
    expect(parseCommandLine(['--version'], env).command).toEqual({ name: 'version' });
    expect(parseCommandLine(['-V'], env).command).toEqual({ name: 'version' });
  });
});

describe('help texts', () => {
  it('has a page for every command, each starting with its usage', () => {
    for (const [name, text] of Object.entries(COMMAND_HELP))
      expect(text, name).toMatch(new RegExp(`^usage: upload-api ${name}\\b`));
    for (const name of Object.keys(COMMAND_HELP))
      expect(USAGE, name).toMatch(new RegExp(`^ {2}${name}\\b`, 'm'));
    expect(USAGE).toMatch(/^ {2}cancel <id> .*unfinished/m);
    expect(USAGE).toMatch(/^ {2}delete <id> .*finished file/m);
    expect(COMMAND_HELP.upload).toContain('UPLOAD_API_RETRY_MS');
    expect(USAGE).toMatch(/^ {2}watch <id> .*elsewhere/m);
    for (const option of ['--live-url URL', '--json', '--poll', 'UPLOAD_API_PROGRESS_MS'])
      expect(COMMAND_HELP.watch).toContain(option);
    expect(COMMAND_HELP.watch).toMatch(/exit codes: 0 uploaded, 1 failed, cancelled/);
  });

  it('prints a command page for `<command> --help` and `help <command>`', async () => {
    for (const name of ['upload', 'status', 'list', 'download', 'cancel', 'delete', 'watch']) {
      const viaFlag = await runWith([name, '--help'], () => json({}));
      const viaHelp = await runWith(['help', name], () => json({}));
      expect(viaFlag).toMatchObject({ code: 0, stdout: `${COMMAND_HELP[name as CommandName]}\n` });
      expect(viaHelp.stdout).toBe(viaFlag.stdout);
      expect(viaFlag.requests).toEqual([]);
    }
    const wrong = await runWith(['help', 'frob'], () => json({}));
    expect(wrong.code).toBe(2);
  });
});

describe('version', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-version-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is client/package.json's version", async () => {
    const manifest = JSON.parse(
      await readFile(new URL('../../../client/package.json', import.meta.url), 'utf8'),
    );
    expect(version()).toBe(manifest.version);
    const printed = await runWith(['--version'], () => json({}));
    expect(printed).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
  });

  it('is read relative to the module, as tsc builds it (dist/cli/version.js)', async () => {
    await mkdir(join(dir, 'dist', 'cli'), { recursive: true });
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: '@upload-api/client', version: '9.8.7' }),
    );
    await writeFile(join(dir, 'dist', 'package.json'), JSON.stringify({ name: 'other' }));
    const moduleUrl = new URL(`file://${join(dir, 'dist', 'cli', 'version.js')}`);

    expect(readVersion(moduleUrl)).toBe('9.8.7');
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(join(elsewhere, 'a', 'b'), { recursive: true });
    const other = new URL(`file://${join(elsewhere, 'a', 'b', 'version.js')}`);
    await writeFile(join(elsewhere, 'package.json'), JSON.stringify({ name: 'x', version: '1' }));
    expect(readVersion(other)).toBe(undefined); // another package's version is not ours
  });
});

describe('collecting files', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'cli-collect-'));
    const files = [
      'photos/a.jpg',
      'photos/2024/b.JPG',
      'photos/2024/raw/c.cr2',
      'photos/.hidden.txt',
      'photos/node_modules/x/i.js',
      'photos/notes/readme.md',
      'single.json',
    ];
    for (const file of files) {
      await mkdir(join(cwd, file, '..'), { recursive: true });
      await writeFile(join(cwd, file), file);
    }
    await symlink(join(cwd, 'photos', '2024'), join(cwd, 'photos', 'linked'));
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  const collect = (args: string[], include: string[] = [], exclude: string[] = []) =>
    collectFiles(args, { cwd, include, exclude });

  it('walks folders recursively, names files from the folder given, types from extensions', async () => {
    const collected = await collect(['photos', 'single.json']);

    expect(collected.files.map((f) => f.name)).toEqual([
      'photos/.hidden.txt',
      'photos/2024/b.JPG',
      'photos/2024/raw/c.cr2',
      'photos/a.jpg',
      'photos/node_modules/x/i.js',
      'photos/notes/readme.md',
      'single.json',
    ]);
    expect(collected.files.find((f) => f.name === 'photos/2024/b.JPG')).toMatchObject({
      path: join(cwd, 'photos', '2024', 'b.JPG'),
      display: join('photos', '2024', 'b.JPG'),
      contentType: 'image/jpeg',
      size: 'photos/2024/b.JPG'.length,
    });
    expect(collected.files.at(-1)?.contentType).toBe('application/json');
    expect(collected.skipped).toEqual([
      `${join('photos', 'linked')} (symlinked folder, not followed)`,
    ]);
  });

  it('filters with --include and --exclude: names at any depth, paths from the folder', async () => {
    const byName = await collect(['photos'], ['*.jpg', '*.JPG'], ['node_modules']);
    expect(byName.files.map((f) => f.name)).toEqual(['photos/2024/b.JPG', 'photos/a.jpg']);
    expect(byName).toMatchObject({ filtered: 3, filteredFolders: 1 });

    const byPath = await collect(['photos'], ['2024/**'], ['**/raw']);
    expect(byPath.files.map((f) => f.name)).toEqual(['photos/2024/b.JPG']);

    const named = await collect(['single.json'], ['*.jpg']);
    expect(named.files.map((f) => f.name)).toEqual(['single.json']);
  });

  it('matches globs as documented', () => {
    const match = globMatcher(['*.md', 'raw/**', '**/deep/*.bin']);
    expect(match('notes/readme.md')).toBe(true);
    expect(match('raw/a/b.cr2')).toBe(true);
    expect(match('x/raw/b.cr2')).toBe(false);
    expect(match('a/b/deep/c.bin')).toBe(true);
    expect(match('deep.bin')).toBe(false);
    expect(globMatcher([])('anything')).toBe(false);
  });

  it('says which path is missing, and finds names two files would share', async () => {
    await expect(collect(['photos', 'absent'])).rejects.toThrow(PathError);
    await expect(collect(['absent'])).rejects.toThrow('no such file: absent');
    const files = (await collect(['photos/2024/raw', join('photos', '2024')])).files;
    expect(duplicateNames(files)).toEqual(new Map());
    const twice = await collect(['photos/a.jpg', 'photos/2024/raw/c.cr2']);
    expect(
      duplicateNames([
        ...twice.files,
        { ...(twice.files[0] as LocalFile), display: 'other/a.jpg' },
      ]),
    ).toEqual(new Map([['a.jpg', [join('photos', 'a.jpg'), 'other/a.jpg']]]));
  });

  it('takes content types from extensions, octet-stream when unknown', () => {
    expect(contentTypeOf('a.txt')).toBe('text/plain');
    expect(contentTypeOf('dir/a.PNG')).toBe('image/png');
    expect(contentTypeOf('report.docx')).toMatch(/^application\/vnd\.openxmlformats/);
    expect(contentTypeOf('noextension')).toBe('application/octet-stream');
  });
});

describe('paths relative to the caller', () => {
  it("uses the current folder, or npm's INIT_CWD under this project's own npm script", () => {
    expect(callerFolder('/repo', {})).toBe('/repo');
    expect(callerFolder('/repo', { INIT_CWD: '/home/me' })).toBe('/repo');
    expect(
      callerFolder('/repo', {
        INIT_CWD: '/home/me',
        npm_lifecycle_event: 'cli',
        npm_package_name: 'resumable-upload-api',
      }),
    ).toBe('/home/me');
    expect(
      callerFolder('/other', {
        INIT_CWD: '/home/me',
        npm_lifecycle_event: 'start',
        npm_package_name: 'someone-else',
      }),
    ).toBe('/other');
  });

  it('downloads into a folder under the file name, never outside it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-target-'));
    try {
      expect(await targetPath(undefined, dir, 'photos/a.jpg')).toBe(join(dir, 'a.jpg'));
      expect(await targetPath('.', dir, 'a.jpg')).toBe(join(dir, 'a.jpg'));
      expect(await targetPath('copy.jpg', dir, 'a.jpg')).toBe(join(dir, 'copy.jpg'));
      expect(await targetPath('new/', dir, 'a.jpg')).toBe(join(dir, 'new', 'a.jpg'));
      expect(safeName('../../etc/passwd')).toBe('passwd');
      expect(safeName('..')).toBe('download');
      expect(safeName('a\\b\\c.txt')).toBe('c.txt');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('retries while the API or storage is unreachable', () => {
  const ceilings = (options: ReturnType<typeof retryForBudget>) => {
    let sum = 0;
    for (let attempt = 0; attempt < options.retries; attempt++)
      sum += Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
    return sum;
  };

  it('keeps retrying for about the budget: backoff ceilings add up to twice it', () => {
    const standard = retryForBudget(120_000);
    expect(standard).toMatchObject({ baseDelayMs: 200, maxDelayMs: 10_000, retries: 29 });
    expect(ceilings(standard)).toBeGreaterThanOrEqual(240_000);
    expect(ceilings(standard)).toBeLessThan(250_000);
    const short = retryForBudget(1000);
    expect(ceilings(short) / 2).toBeGreaterThanOrEqual(1000);
    expect(ceilings(short) / 2).toBeLessThan(1200);
  });

  it('takes the budget from UPLOAD_API_RETRY_MS, else 2 minutes', () => {
    expect(retryBudgetFrom({ UPLOAD_API_RETRY_MS: '1500' })).toBe(1500);
    expect(retryBudgetFrom({ UPLOAD_API_RETRY_MS: 'soon' })).toBe(120_000);
    expect(retryBudgetFrom({})).toBe(120_000);
  });
});

describe('error lines', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('are one line with the API code and status', () => {
    expect(
      errorLine(new UploadApiError('SESSION_NOT_FOUND', 'Upload session not found', 404)),
    ).toBe('Upload session not found (SESSION_NOT_FOUND, HTTP 404)');
    expect(errorLine(Object.assign(new Error('x'), { code: 'ENOENT', path: '/nope' }))).toBe(
      'no such file: /nope',
    );
    expect(errorLine(new Error('first\n    at stack'))).toBe('first');
    expect(errorLine(new UploadApiError('NETWORK_ERROR', 'GET /x failed: ECONNREFUSED', 0))).toBe(
      'the API is unreachable: GET /x failed: ECONNREFUSED',
    );
    expect(errorLine(new UploadStorageError('chunk 3: fetch failed', 0, 3))).toBe(
      'storage is unreachable: chunk 3: fetch failed',
    );
  });

  it('say "token expired" with when, for a JWT past its exp', () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0);
    const token = jwtExpiredAgo(90 * 60_000, now);
    expect(unauthorizedLine(token, now)).toBe(
      'token expired at 2030-01-01T10:30:00.000Z (90 min ago); ' +
        'sign in again (upload-api login) or pass a new --token',
    );
    expect(unauthorizedLine('not-a-jwt', now)).toMatch(
      /^the server refused the token \(HTTP 401\)/,
    );
  });

  it('report a 401 with an expired token as "token expired", not a generic error', async () => {
    const token = jwtExpiredAgo(5 * 60_000);
    const result = await runWith(['status', 'abc', '--token', token], () =>
      json({ message: 'Unauthorized' }, 401),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: token expired at \S+ \(5 min ago\); sign in again \(upload-api login\) or pass a new --token\n$/,
    );
  });
});

describe('commands against a fake API', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const session = (id: string, fileId: string, extra: Record<string, unknown> = {}) => ({
    id,
    fileId,
    fileName: `${id}.bin`,
    fileSize: 100,
    contentType: 'application/octet-stream',
    chunkSize: 100,
    totalChunks: 1,
    status: 'uploaded',
    createdAt: '2030-01-01T00:00:00.000Z',
    expiresAt: '2030-01-02T00:00:00.000Z',
    key: 'k',
    checksum: 'SHA256',
    metadata: {},
    uploadedBytes: 100,
    chunksUploaded: 1,
    ...extra,
  });
  const notFound = () =>
    json({ success: false, error: { code: 'SESSION_NOT_FOUND', message: 'not found' } }, 404);

  it('deletes the finished file through DELETE /uploads/{id}/file', async () => {
    const result = await runWith(['delete', 'abc', '--token', 't'], (_url, init) =>
      init?.method === 'DELETE'
        ? json({ success: true, data: { id: 'abc', status: 'deleted' } })
        : json({ success: true, data: session('abc', 'f-abc') }),
    );
    expect(result).toMatchObject({ code: 0, stdout: 'deleted abc (abc.bin)\n', stderr: '' });
    expect(result.requests).toEqual([
      'GET http://api.test/api/v1/uploads/abc',
      'DELETE http://api.test/api/v1/uploads/abc/file',
    ]);
  });

  it('finds a session by its file id, following list cursors over empty pages', async () => {
    const pages: Record<string, unknown> = {
      '': { items: [session('s1', 'f1')], nextCursor: 'c1' },
      c1: { items: [], nextCursor: 'c2' },
      c2: { items: [session('s3', 'f3')], nextCursor: null },
    };
    const result = await runWith(['delete', 'f3', '--token', 't'], (url, init) => {
      const { pathname, searchParams } = new URL(url);
      if (init?.method === 'DELETE')
        return json({ success: true, data: { id: 's3', status: 'deleted' } });
      if (pathname.endsWith('/uploads'))
        return json({ success: true, data: pages[searchParams.get('cursor') ?? ''] });
      return notFound();
    });
    expect(result).toMatchObject({ code: 0, stdout: 'deleted s3 (s3.bin)\n' });
    expect(result.requests).toEqual([
      'GET http://api.test/api/v1/uploads/f3',
      'GET http://api.test/api/v1/uploads?status=all&limit=100',
      'GET http://api.test/api/v1/uploads?status=all&limit=100&cursor=c1',
      'GET http://api.test/api/v1/uploads?status=all&limit=100&cursor=c2',
      'DELETE http://api.test/api/v1/uploads/s3/file',
    ]);
  });

  it('fails with one line when the session is not uploaded', async () => {
    const body = { success: false, error: { code: 'INVALID_STATE', message: 'Not uploaded' } };
    const result = await runWith(['delete', 'abc', '--token', 't'], (_url, init) =>
      init?.method === 'DELETE'
        ? json(body, 409)
        : json({ success: true, data: session('abc', 'f') }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: Not uploaded (INVALID_STATE, HTTP 409)\n');
  });

  it('cancels every active session with cancel --all, reporting each failure', async () => {
    const active = [
      session('a1', 'fa1', { status: 'uploading' }),
      session('a2', 'fa2', { status: 'initiated' }),
    ];
    const result = await runWith(['cancel', '--all', '--token', 't'], (url, init) => {
      if (init?.method === 'DELETE')
        return url.endsWith('/a2')
          ? json({ success: false, error: { code: 'INVALID_STATE', message: 'completing' } }, 409)
          : json({ success: true, message: 'Upload cancelled' });
      return json({ success: true, data: { items: active, nextCursor: null } });
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('cancelled a1 (a1.bin)\n1 of 2 active uploads cancelled\n');
    expect(result.stderr).toBe(
      'error: cancelling a2 (a2.bin): completing (INVALID_STATE, HTTP 409)\n',
    );
    expect(result.requests[0]).toBe('GET http://api.test/api/v1/uploads?status=active&limit=100');
  });

  it('lists sessions as a table', async () => {
    const items = [
      session('s1', 'f1'),
      session('s2', 'f2', { status: 'uploading', uploadedBytes: 50 }),
    ];
    const result = await runWith(['list', '--token', 't'], () =>
      json({ success: true, data: { items, nextCursor: null } }),
    );
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'SESSION  FILE ID  STATUS     PROGRESS              CREATED               NAME',
      's1       f1       uploaded   100 B / 100 B (100%)  2030-01-01T00:00:00Z  s1.bin',
      's2       f2       uploading  50 B / 100 B (50%)    2030-01-01T00:00:00Z  s2.bin',
      '',
    ]);
  });

  it('asks for a token only when a command needs one', async () => {
    const result = await runWith(['list'], () => json({}));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: no token: sign in with `upload-api login`/);
    expect(result.requests).toEqual([]);
  });
});

describe('live progress output', () => {
  it('redraws the live lines in place on a terminal and prints notes above them', () => {
    const written: string[] = [];
    const stream = { isTTY: true, columns: 40, write: (t: string) => written.push(t) };
    let frame = ['a.bin 10%', 'total 10%'];
    const live = liveOutput(stream, () => frame, { ttyIntervalMs: 60_000 });

    live.draw();
    frame = ['a.bin 20%', 'total 20%'];
    live.note('resuming a.bin: 3/10 chunks stored');
    live.close();

    expect(written).toEqual([
      'a.bin 10%\ntotal 10%\n',
      '\x1b[2A\r\x1b[J',
      'resuming a.bin: 3/10 chunks stored\n',
      'a.bin 20%\ntotal 20%\n',
      '\x1b[2A\r\x1b[J',
      'a.bin 20%\ntotal 20%\n',
    ]);
  });

  it('prints plain lines otherwise, only when they changed', () => {
    const written: string[] = [];
    let frame = ['total 10%'];
    const live = liveOutput({ write: (t: string) => written.push(t) }, () => frame, {
      intervalMs: 60_000,
    });
    live.draw();
    live.draw();
    frame = ['total 20%'];
    live.draw();
    live.note('done');
    live.close();
    expect(written).toEqual(['total 10%\n', 'total 20%\n', 'done\n']);
  });
});

describe('WatchedProgress (the line of `watch`)', () => {
  const state = (uploadedBytes: number, status: UploadProgressState['status'] = 'uploading') =>
    ({
      sessionId: 's1',
      fileId: 'f1',
      fileName: 'video.mp4',
      totalSize: 100 * MIB,
      uploadedBytes,
      percentComplete: 0,
      chunksUploaded: 0,
      totalChunks: 20,
      status,
      estimatedTimeRemaining: null,
      expiresAt: '2030-01-01T00:00:00.000Z',
    }) satisfies UploadProgressState;
  const start = { fileName: 'video.mp4', totalSize: 100 * MIB, uploadedBytes: 0 } as const;

  it('measures the speed from the changes it sees, from the second one on, with an ETA', () => {
    const watched = new WatchedProgress({ ...start, status: 'initiated' });
    expect(watched.line(0)).toBe('video.mp4  0 B / 100.0 MiB  0.0%  waiting');

    watched.update(state(10 * MIB), 1000); // earlier bytes: when they were sent is unknown
    expect(watched.line(1000)).toBe('video.mp4  10.0 MiB / 100.0 MiB  10.0%  measuring');
    watched.update(state(20 * MIB), 2000);
    watched.update(state(30 * MIB), 3000);

    expect(watched.view(3000)).toMatchObject({
      bytesPerSecond: 10 * MIB,
      etaSeconds: 7,
      moving: true,
    });
    expect(watched.line(3000, 10)).toBe(
      'video.mp4  [###.......] 30.0 MiB / 100.0 MiB  30.0%  10.5 MB/s  ETA 0:07',
    );
  });

  it('shows no ETA once the uploader stops, and measures again when it resumes', () => {
    const watched = new WatchedProgress({ ...start, status: 'uploading' });
    watched.update(state(10 * MIB), 0);
    watched.update(state(20 * MIB), 1000);

    expect(watched.line(1000 + STALL_MS + 2000)).toBe(
      'video.mp4  20.0 MiB / 100.0 MiB  20.0%  idle for 7 s',
    );
    watched.update(state(30 * MIB), 60_000);
    expect(watched.view(60_000)).toMatchObject({ moving: false, note: 'measuring' });
    watched.update(state(40 * MIB), 61_000);
    expect(watched.view(61_000)).toMatchObject({ moving: true, bytesPerSecond: 10 * MIB });
  });

  it('shows the status instead of a speed once everything is sent', () => {
    const watched = new WatchedProgress({ ...start, status: 'uploading' });
    watched.update(state(100 * MIB, 'completing'), 0);
    expect(watched.line(0)).toBe('video.mp4  100.0 MiB / 100.0 MiB  100.0%  completing');
    watched.update(state(100 * MIB, 'uploaded'), 10);
    expect(watched.status).toBe('uploaded');
    expect(watched.line(10)).toBe('video.mp4  100.0 MiB / 100.0 MiB  100.0%  uploaded');
  });
});

describe('watch against a fake API and socket', () => {
  const session = {
    id: 's1',
    fileId: 'f1',
    fileName: 'video.mp4',
    fileSize: 100,
    contentType: 'video/mp4',
    chunkSize: 50,
    totalChunks: 2,
    status: 'initiated',
    createdAt: '2030-01-01T00:00:00.000Z',
    expiresAt: '2030-01-02T00:00:00.000Z',
    key: 'k',
    checksum: 'SHA256',
    metadata: {},
    uploadedBytes: 0,
    chunksUploaded: 0,
  };
  const state = (uploadedBytes: number, status: UploadProgressState['status']) =>
    ({
      sessionId: 's1',
      fileId: 'f1',
      fileName: 'video.mp4',
      totalSize: 100,
      uploadedBytes,
      percentComplete: uploadedBytes,
      chunksUploaded: uploadedBytes / 50,
      totalChunks: 2,
      status,
      estimatedTimeRemaining: null,
      expiresAt: '2030-01-02T00:00:00.000Z',
    }) satisfies UploadProgressState;
  const ending = (status: UploadProgressState['status']) => [
    state(0, 'initiated'),
    state(50, 'uploading'),
    state(50, 'uploading'), // unchanged: not repeated
    state(status === 'uploaded' ? 100 : 50, status),
  ];

  /** Sockets that open, and answer a subscribe with `states` (as progress messages), in order. */
  function scriptedSockets(states: readonly UploadProgressState[]) {
    const urls: string[] = [];
    class Socket implements WebSocketLike {
      readyState = 0;
      onopen: ((event: never) => void) | null = null;
      onmessage: ((event: never) => void) | null = null;
      onclose: ((event: never) => void) | null = null;
      onerror: ((event: never) => void) | null = null;
      constructor(url: string) {
        urls.push(url);
        setTimeout(() => {
          this.readyState = 1;
          this.onopen?.({} as never);
        }, 0);
      }
      send(data: string) {
        if (JSON.parse(data).action !== 'subscribe') return;
        states.forEach((data, i) => {
          const message = JSON.stringify({ type: 'progress', sessionId: 's1', data });
          setTimeout(() => this.onmessage?.({ data: message } as never), i + 1);
        });
      }
      close() {
        this.readyState = 3;
      }
    }
    return { WebSocket: Socket, urls };
  }

  /** GET /uploads/s1 answers the session; GET /progress each state in turn (the last repeats). */
  function fakeApi(states: UploadProgressState[] = []) {
    const requests: string[] = [];
    const fetch = async (url: string) => {
      requests.push(new URL(url).pathname);
      if (url.endsWith('/progress')) {
        const next = states.length > 1 ? states.shift() : states[0];
        return json({ success: true, data: next });
      }
      return json({ success: true, data: session });
    };
    return { fetch, requests };
  }

  async function watchWith(
    argv: { json?: boolean; poll?: boolean; liveUrl?: string },
    context: {
      fetch: (url: string) => Promise<Response>;
      WebSocket?: ReturnType<typeof scriptedSockets>['WebSocket'] | null;
      signal?: AbortSignal;
      onStdout?: (text: string) => void;
    },
  ) {
    const out: string[] = [];
    const err: string[] = [];
    const api = new UploadApiClient({
      apiUrl: 'http://api.test',
      token: 't',
      fetch: context.fetch,
    });
    const code = await watchCommand(
      { name: 'watch', id: 's1', liveUrl: argv.liveUrl, json: !!argv.json, poll: !!argv.poll },
      {
        api,
        apiUrl: 'http://api.test',
        token: 't',
        fetch: context.fetch,
        pollIntervalMs: 1,
        ...(context.WebSocket !== undefined ? { WebSocket: context.WebSocket } : {}),
        io: {
          stdout: {
            write: (text: string) => {
              out.push(text);
              context.onStdout?.(text);
            },
          },
          stderr: { write: (text: string) => err.push(text) },
          env: { UPLOAD_API_PROGRESS_MS: '60000' },
          signal: context.signal ?? new AbortController().signal,
        },
      },
    );
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  it('prints one JSON line per state pushed over the socket, then the final one; exit 0', async () => {
    const sockets = scriptedSockets(ending('uploaded'));

    const result = await watchWith({ json: true }, { ...fakeApi(), WebSocket: sockets.WebSocket });

    expect(result.code).toBe(0);
    expect(sockets.urls).toEqual(['ws://api.test/api/v1/live?token=t']);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => [l.type, l.mode, l.data?.uploadedBytes, l.data?.status])).toEqual([
      ['progress', 'socket', 0, 'initiated'],
      ['progress', 'socket', 50, 'uploading'],
      ['progress', 'socket', 100, 'uploaded'],
      ['final', undefined, undefined, undefined],
    ]);
    expect(lines.at(-1)).toEqual({
      type: 'final',
      sessionId: 's1',
      fileId: 'f1',
      fileName: 'video.mp4',
      status: 'uploaded',
      uploadedBytes: 100,
      totalSize: 100,
      exitCode: 0,
    });
    expect(result.stderr).toBe(
      'watching live over ws://api.test/api/v1/live\n' +
        'uploaded video.mp4 (100 B) file f1 session s1\n',
    );
  });

  it('exits 1 when the upload ends otherwise, with the final line on stdout', async () => {
    const sockets = scriptedSockets(ending('cancelled'));

    const result = await watchWith(
      { liveUrl: 'wss://live.example.com/prod' },
      { ...fakeApi(), WebSocket: sockets.WebSocket },
    );

    expect(result.code).toBe(1);
    expect(sockets.urls).toEqual(['wss://live.example.com/prod?token=t']);
    expect(result.stdout).toBe('cancelled video.mp4 (50 B of 100 B stored) session s1\n');
    // Plain output: the last line drawn, not the others (the interval is a minute).
    expect(result.stderr).toBe(
      'watching live over wss://live.example.com/prod\n' +
        'video.mp4  50 B / 100 B  50.0%  cancelled\n',
    );
  });

  it('polls when this Node has no WebSocket, saying so once', async () => {
    const api = fakeApi(ending('uploaded'));

    const result = await watchWith({ json: true }, { ...api, WebSocket: null });

    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.mode ?? l.type)).toEqual(['polling', 'polling', 'polling', 'final']);
    expect(result.stderr.match(/no WebSocket in this Node/g)).toHaveLength(1);
    expect(api.requests.filter((path) => path.endsWith('/progress')).length).toBeGreaterThan(2);
  });

  it('polls with --poll and opens no socket', async () => {
    const sockets = scriptedSockets([]);

    const result = await watchWith(
      { json: true, poll: true },
      { ...fakeApi(ending('failed')), WebSocket: sockets.WebSocket },
    );

    expect(result.code).toBe(1);
    expect(sockets.urls).toEqual([]);
    expect(result.stderr).not.toMatch(/WebSocket|live/);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({
      type: 'final',
      status: 'failed',
      exitCode: 1,
    });
  });

  it('stops on Ctrl-C with exit 130', async () => {
    const interrupt = new AbortController();
    const sockets = scriptedSockets([state(0, 'initiated')]);

    const result = await watchWith(
      { json: true },
      {
        ...fakeApi(),
        WebSocket: sockets.WebSocket,
        signal: interrupt.signal,
        onStdout: () => interrupt.abort(),
      },
    );

    expect(result.code).toBe(130);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/interrupted\n$/);
  });

  it("fails with SESSION_NOT_FOUND for an id that is neither a session nor a file of the caller's", async () => {
    const notFound = json(
      { success: false, error: { code: 'SESSION_NOT_FOUND', message: 'not found' } },
      404,
    );
    const result = await runWith(['watch', 'nope', '--token', 't'], (url) =>
      url.includes('?status=')
        ? json({ success: true, data: { items: [], nextCursor: null } })
        : notFound.clone(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: No upload has the session or file id nope (SESSION_NOT_FOUND, HTTP 404)\n',
    );
  });
});
