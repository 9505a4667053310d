import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A missing tool or a taken port: the message tells the user what to do; no stack trace needed. */
export class PrerequisiteError extends Error {
  override name = 'PrerequisiteError';
}

export type Log = (line: string) => void;

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const localDir = join(repoRoot, '.local');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;

export const tail = (text: string, lines: number) =>
  text
    .trim()
    .split('\n')
    .slice(-lines)
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line))
    .join('\n');

export function run(cmd: string, args: string[]): Promise<{ code: number | null; output: string }> {
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

/** mkdir is atomic, so it serialises installers across processes; a dead owner's lock is taken over. */
async function withInstallLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(localDir, { recursive: true });
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

type Version = readonly [number, number];

async function versionOf(python: string): Promise<Version | undefined> {
  const probe = await run(python, ['-c', 'import sys; print("%d %d" % sys.version_info[:2])']);
  if (probe.code !== 0) return undefined;
  const [major, minor] = probe.output.trim().split(' ').map(Number);
  return major !== undefined && minor !== undefined ? [major, minor] : undefined;
}

const atLeast = (v: Version, min: Version) => v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);

/** Candidates in order: $PYTHON, python3.N on PATH (newest first), pyenv's versions, python3. */
async function pythonCandidates(min: Version): Promise<string[]> {
  const onPath = Array.from({ length: 6 }, (_, i) => `python3.${min[1] + 5 - i}`);
  const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const pyenv = await readdir(join(pyenvRoot, 'versions')).catch(() => [] as string[]);
  const pyenvPythons = pyenv
    .filter((v) => /^\d+\.\d+(\.\d+)?$/.test(v))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))
    .map((v) => join(pyenvRoot, 'versions', v, 'bin', 'python3'));
  return [process.env.PYTHON, ...onPath, ...pyenvPythons, 'python3'].filter(
    (p): p is string => !!p,
  );
}

/** The first Python interpreter at least `min`, or undefined. */
export async function findPython(min: Version): Promise<string | undefined> {
  for (const candidate of await pythonCandidates(min)) {
    const version = await versionOf(candidate);
    if (version && atLeast(version, min)) return candidate;
  }
  return undefined;
}

export interface VenvSpec {
  /** Folder name under .local/, e.g. `moto-venv`. */
  readonly name: string;
  readonly requirementsFile: string;
  readonly minPython: Version;
  /** What the venv is for, in messages. */
  readonly purpose: string;
}

/**
 * A project-local virtualenv with exactly the pinned requirements; reinstalled when the
 * requirements file changes. Returns the venv's python.
 */
export async function ensureVenv(spec: VenvSpec, log: Log = () => {}): Promise<string> {
  const venvDir = join(localDir, spec.name);
  const python = join(venvDir, 'bin', 'python');
  const stampFile = join(venvDir, '.requirements-sha256');
  const hash = createHash('sha256')
    .update(await readFile(spec.requirementsFile))
    .digest('hex');
  const installed = async () =>
    existsSync(python) && (await readFile(stampFile, 'utf8').catch(() => '')) === hash;
  if (await installed()) return python;
  return withInstallLock(`${venvDir}.lock`, async () => {
    if (await installed()) return python;
    const base = await findPython(spec.minPython);
    const wanted = spec.minPython.join('.');
    if (!base) {
      throw new PrerequisiteError(
        `${spec.purpose} needs Python >= ${wanted}: none found (tried $PYTHON, python3.N on PATH, pyenv versions, python3); install one or set PYTHON=/path/to/python${wanted}`,
      );
    }
    log(`creating ${venvDir} with ${base}`);
    await rm(venvDir, { recursive: true, force: true });
    const venv = await run(base, ['-m', 'venv', venvDir]);
    if (venv.code !== 0) {
      await rm(venvDir, { recursive: true, force: true });
      throw new PrerequisiteError(
        /ensurepip|No module named venv/.test(venv.output)
          ? `${base} has no venv module: install it (e.g. apt-get install python3-venv) and retry`
          : `${base} -m venv failed: ${tail(venv.output, 1)}`,
      );
    }
    log(`installing ${spec.purpose} from ${spec.requirementsFile}`);
    const pipArgs = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check'];
    const pip = await run(python, [...pipArgs, '-r', spec.requirementsFile]);
    if (pip.code !== 0) {
      throw new PrerequisiteError(
        `pip install for ${spec.purpose} failed:\n${tail(pip.output, 15)}`,
      );
    }
    await writeFile(stampFile, hash);
    return python;
  });
}
