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

/**
 * Starts the CLI as its own process (the built bundle on Node, as `npm run cli` does), with `env`
 * added. `buildCliForTests()` must have run first.
 */
export function startCli(args: readonly string[], env: Record<string, string>): CliRun {
  if (!built) throw new Error('await buildCliForTests() before starting the CLI');
  const child = spawn(process.execPath, [built, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
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

export const runCli = (args: readonly string[], env: Record<string, string>) =>
  startCli(args, env).done;

/** The last non-empty stdout line, parsed as JSON. */
export function lastJsonLine<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines.at(-1) ?? 'null') as T;
}

/** `key=value` pairs of the CLI's stats line on stderr. */
export function statsOf(stderr: string): Record<string, string> {
  const line = stderr.split('\n').findLast((l) => l.startsWith('chunksSent='));
  if (!line) throw new Error(`no stats line in:\n${stderr}`);
  return Object.fromEntries(line.split(' ').map((pair) => pair.split('=') as [string, string]));
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
