import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Emulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export class PrerequisiteError extends Error {
  override name = 'PrerequisiteError';
}

type Log = (line: string) => void;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const requirementsFile = join(repoRoot, 'local', 'requirements-emulator.txt');
const venvDir = join(repoRoot, '.local', 'moto-venv');
const motoBin = join(venvDir, 'bin', 'moto_server');
const atomicServer = join(repoRoot, 'local', 'moto_server_atomic.py');
const stampFile = join(venvDir, '.requirements-sha256');
const lockDir = `${venvDir}.lock`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;
const tail = (text: string, lines: number) =>
  text
    .trim()
    .split('\n')
    .slice(-lines)
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line))
    .join('\n');

function run(cmd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (err) => resolve({ code: null, output: err.message }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === 'EPERM';
  }
}

// mkdir is atomic, so it serialises installers across processes; a dead owner's lock is taken over.
const PYTHON_MISSING =
  'python3 not found: install Python 3.9+ (e.g. apt-get install python3 python3-venv) and retry';

async function withInstallLock<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(join(repoRoot, '.local'), { recursive: true });
  for (const deadline = Date.now() + 10 * 60_000; ; await sleep(250)) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw err;
      const owner = Number(await readFile(join(lockDir, 'pid'), 'utf8').catch(() => '0'));
      if (owner > 0 && !isAlive(owner)) await rm(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new PrerequisiteError(`install lock ${lockDir} is stuck`);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

export async function ensureMotoInstalled(log: Log = () => {}): Promise<string> {
  const hash = createHash('sha256')
    .update(await readFile(requirementsFile))
    .digest('hex');
  const installed = async () =>
    existsSync(motoBin) && (await readFile(stampFile, 'utf8').catch(() => '')) === hash;
  if (await installed()) return motoBin;
  return withInstallLock(async () => {
    if (await installed()) return motoBin;
    const python = await run('python3', ['-c', 'import sys; sys.exit(sys.version_info < (3, 9))']);
    if (python.code !== 0) throw new PrerequisiteError(PYTHON_MISSING);
    log(`creating Python virtualenv in ${venvDir}`);
    await rm(venvDir, { recursive: true, force: true });
    const venv = await run('python3', ['-m', 'venv', venvDir]);
    if (venv.code !== 0) {
      await rm(venvDir, { recursive: true, force: true });
      throw new PrerequisiteError(
        /ensurepip|No module named venv/.test(venv.output)
          ? 'python3 venv module not available: install it (e.g. apt-get install python3-venv) and retry'
          : `python3 -m venv failed: ${tail(venv.output, 1)}`,
      );
    }
    log(`installing moto from ${requirementsFile}`);
    const pipArgs = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check'];
    const pip = await run(join(venvDir, 'bin', 'python'), [...pipArgs, '-r', requirementsFile]);
    if (pip.code !== 0 || !existsSync(motoBin)) {
      throw new PrerequisiteError(`pip install of moto failed:\n${tail(pip.output, 15)}`);
    }
    await writeFile(stampFile, hash);
    return motoBin;
  });
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

export async function startEmulator(options: { port?: number; log?: Log } = {}): Promise<Emulator> {
  const bin = await ensureMotoInstalled(options.log);
  const port = await listenOnce(options.port ?? 0).catch((err: Error) => {
    throw new PrerequisiteError(`port ${options.port} is in use: ${err.message}`);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const python = join(dirname(bin), 'python');
  const child = spawn(python, [atomicServer, '127.0.0.1', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  let spawnError: Error | undefined;
  child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-8000)));
  const exited = new Promise((resolve) => child.once('exit', resolve).once('error', resolve));
  child.once('error', (err) => (spawnError = err));
  const running = () => child.exitCode === null && child.signalCode === null && !spawnError;
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (!running()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
    const ready = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) {
      options.log?.(`moto_server listening on ${endpoint}`);
      return { endpoint, stop };
    }
    if (spawnError) throw new PrerequisiteError(`cannot run ${bin}: ${spawnError.message}`);
    if (!running()) {
      if (/address already in use/i.test(stderr)) {
        throw new PrerequisiteError(`port ${port} is in use: ${tail(stderr, 1)}`);
      }
      throw new Error(`moto_server exited before becoming ready:\n${tail(stderr, 20)}`);
    }
  }
  await stop();
  throw new Error(`moto_server did not answer on ${endpoint} within 30s:\n${tail(stderr, 20)}`);
}
