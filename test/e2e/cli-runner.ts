import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../../client/cli/build.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let built: string | undefined;

/** Builds the CLI as `npm run cli` does, into a temporary directory; call it in `beforeAll`. */
export async function buildCliForTests(): Promise<void> {
  built ??= await buildCli(join(await mkdtemp(join(tmpdir(), 'upload-cli-')), 'upload-api.mjs'));
  await defaultCwd();
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRun {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
}

export interface CliOptions {
  /** The folder the CLI runs in (relative paths start there); default: a fresh temporary one. */
  readonly cwd?: string;
}

let scratch: string | undefined;

/** A temporary folder for runs that name no `cwd`: never the repository. */
async function defaultCwd(): Promise<string> {
  scratch ??= await mkdtemp(join(tmpdir(), 'upload-cli-cwd-'));
  return scratch;
}

/**
 * Starts the CLI as its own process (the built bundle on Node, as `npm run cli` does), with `env`
 * added, in `options.cwd` (a temporary folder by default). `buildCliForTests()` must have run
 * first. npm's variables are removed, so the CLI sees the folder it runs in as the caller's.
 */
export function startCli(
  args: readonly string[],
  env: Record<string, string>,
  options: CliOptions = {},
): CliRun {
  if (!built) throw new Error('await buildCliForTests() before starting the CLI');
  const cwd = options.cwd ?? scratch;
  if (!cwd) throw new Error('await buildCliForTests() (it prepares the default folder)');
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm_|INIT_CWD$)/i.test(name)),
  );
  const child = spawn(process.execPath, [built, ...args], {
    cwd,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export const runCli = (
  args: readonly string[],
  env: Record<string, string>,
  options: CliOptions = {},
) => startCli(args, env, options).done;

/** The last non-empty stdout line, parsed as JSON. */
export function lastJsonLine<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines.at(-1) ?? 'null') as T;
}

/** Every stdout line that is a JSON object (`upload --json` prints one per file, then a summary). */
export function jsonLines<T = Record<string, unknown>>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as T);
}

/** What `upload --json` says about one finished file. */
export interface FileLine {
  readonly type: 'file';
  readonly state: 'succeeded' | 'cancelled' | 'timedOut' | 'rejected' | 'errored';
  readonly path: string;
  readonly name: string;
  readonly fileId?: string;
  readonly sessionId: string | null;
  readonly size: number;
  readonly contentType: string;
  /** The stored object's key (succeeded files). */
  readonly key?: string;
  readonly resumed: boolean;
  readonly chunksSent: number;
  readonly totalChunks: number;
  readonly error?: { code?: string; message: string };
}

/** The per-file lines of `upload --json`, by uploaded name. */
export function fileLines(stdout: string): Map<string, FileLine> {
  return new Map(
    jsonLines<FileLine>(stdout)
      .filter((line) => line.type === 'file')
      .map((line) => [line.name, line]),
  );
}

/** Writes `size` random bytes to `path`, 8 MiB at a time, and returns their SHA-256 (hex). */
export async function writeRandomFile(path: string, size: number): Promise<string> {
  const { randomFillSync } = await import('node:crypto');
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    const block = Buffer.alloc(8 * 1024 * 1024);
    for (let written = 0; written < size; ) {
      const n = Math.min(block.length, size - written);
      randomFillSync(block, 0, n);
      const piece = block.subarray(0, n);
      hash.update(piece);
      await handle.write(piece);
      written += n;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}
