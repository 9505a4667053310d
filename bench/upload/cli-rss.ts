/**
 * Peak resident memory of the CLI uploading a large file: the CLI built as `npm run cli` builds it
 * (`node dist/upload-api.mjs upload <file>`) runs as its own process, and it and any process it
 * starts are sampled from /proc every 50 ms.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { note } from './support.ts';

export interface CliRssSetup {
  readonly repoRoot: string;
  /** The built CLI (`buildCli()` of client/cli/build.ts). */
  readonly cliBundle: string;
  /** The CLI's arguments, e.g. `upload <file> --chunk-size 8388608 --concurrency 4`. */
  readonly args: readonly string[];
  readonly apiUrl: string;
  readonly token: string;
  /** The CLI's resume-state file (kept out of the user's home directory). */
  readonly stateFile: string;
  /** The run is interrupted (and reported as timed out) after this long. */
  readonly timeoutMs: number;
}

export interface ProcessPeak {
  readonly pid: number;
  readonly command: string;
  /** VmHWM: the kernel's own high-water mark of the process's resident set. */
  readonly hwmKiB: number;
}

export interface CliRssResult {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly seconds: number;
  readonly samples: number;
  /** Largest sum of VmRSS over the process tree seen in one sample. */
  readonly treeSampledPeakKiB: number;
  /** Sum of every process's VmHWM: an upper bound of the tree's peak. */
  readonly treeHwmSumKiB: number;
  readonly processes: readonly ProcessPeak[];
  /**
   * The uploaded file's record, when it succeeded: the last stdout line that is a JSON object
   * with `key` and `size` (with `--json` the CLI prints one per file, then a summary line).
   */
  readonly record: { key: string; size: number } | undefined;
  readonly stats: string | undefined;
  readonly stderrTail: string;
}

const SAMPLE_MS = 50;

interface ProcStatus {
  readonly rssKiB: number;
  readonly hwmKiB: number;
}

async function procStatus(pid: number): Promise<ProcStatus | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
    const rssKiB = field('VmRSS');
    const hwmKiB = field('VmHWM');
    return Number.isFinite(rssKiB) && Number.isFinite(hwmKiB) ? { rssKiB, hwmKiB } : undefined;
  } catch {
    return undefined; // the process has exited (or is a zombie without a memory map)
  }
}

/** `root` and every process descending from it, by scanning the parent pid of every process. */
async function processTree(root: number): Promise<Map<number, string>> {
  const parents = new Map<number, { ppid: number; command: string }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...; comm may hold spaces and parentheses, so split at the last ')'.
      const close = stat.lastIndexOf(')');
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      parents.set(Number(entry), { ppid, command: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // gone between readdir and read
    }
  }
  const tree = new Map<number, string>();
  const visit = (pid: number) => {
    tree.set(pid, parents.get(pid)?.command ?? '?');
    for (const [child, info] of parents) if (info.ppid === pid && !tree.has(child)) visit(child);
  };
  if (parents.has(root)) visit(root);
  return tree;
}

export const CLI_PROCESS = 'CLI (node)';

/** What a process of the tree is: the Node process running the CLI, or a helper it started. */
const roleOf = async (pid: number, root: number, comm: string): Promise<string> =>
  pid === root ? CLI_PROCESS : comm;

/** Runs the CLI once and samples its process tree until it exits (or times out). */
export async function measureCliRss(setup: CliRssSetup): Promise<CliRssResult> {
  const args = [setup.cliBundle, ...setup.args];
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: setup.repoRoot,
    env: {
      ...process.env,
      UPLOAD_API_URL: setup.apiUrl,
      UPLOAD_API_TOKEN: setup.token,
      UPLOAD_API_STATE: setup.stateFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout = (stdout + text).slice(-64 * 1024);
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-64 * 1024);
  });
  let exited = false;
  const done = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      exited = true;
      resolve(code);
    });
  });
  const root = child.pid;
  if (root === undefined) throw new Error(`cannot start ${process.execPath}`);

  const peaks = new Map<number, ProcessPeak>();
  let treeSampledPeakKiB = 0;
  let samples = 0;
  let timedOut = false;
  let known = new Map<number, string>([[root, CLI_PROCESS]]);
  const deadline = Date.now() + setup.timeoutMs;
  let interruptedAt: number | undefined;
  while (!exited) {
    // Rescan the tree at every sample for the first two seconds, then every tenth.
    if (samples < 40 || samples % 10 === 0) {
      const tree = await processTree(root);
      if (tree.size > 0)
        known = new Map(
          await Promise.all(
            [...tree].map(async ([pid, comm]) => [pid, await roleOf(pid, root, comm)] as const),
          ),
        );
    }
    let sum = 0;
    for (const [pid, command] of known) {
      const status = await procStatus(pid);
      if (!status) continue;
      sum += status.rssKiB;
      const previous = peaks.get(pid)?.hwmKiB ?? 0;
      peaks.set(pid, { pid, command, hwmKiB: Math.max(previous, status.hwmKiB) });
    }
    treeSampledPeakKiB = Math.max(treeSampledPeakKiB, sum);
    samples++;
    if (!timedOut && Date.now() > deadline) {
      timedOut = true;
      interruptedAt = Date.now();
      note(`CLI still running after ${setup.timeoutMs / 1000} s: interrupting it`);
      child.kill('SIGINT'); // the CLI pauses and exits 130
    }
    if (interruptedAt !== undefined && Date.now() - interruptedAt > 10_000) {
      for (const pid of [...known.keys()].reverse()) {
        try {
          process.kill(pid, 'SIGKILL'); // only processes of the tree this benchmark started
        } catch {
          // already gone
        }
      }
      interruptedAt = undefined;
    }
    await Promise.race([sleep(SAMPLE_MS), done]);
  }
  const exitCode = await done;
  const seconds = (performance.now() - started) / 1000;

  let record: CliRssResult['record'];
  let counts: string | undefined;
  for (const line of stdout.trim().split('\n').reverse()) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (typeof parsed.key !== 'string' || typeof parsed.size !== 'number') continue;
    record = { key: parsed.key, size: parsed.size };
    if (typeof parsed.chunksSent === 'number' && typeof parsed.totalChunks === 'number')
      counts = `chunksSent=${parsed.chunksSent} totalChunks=${parsed.totalChunks} resumed=${parsed.resumed === true}`;
    break;
  }
  const processes = [...peaks.values()];
  return {
    exitCode,
    timedOut,
    seconds,
    samples,
    treeSampledPeakKiB,
    treeHwmSumKiB: processes.reduce((sum, p) => sum + p.hwmKiB, 0),
    processes,
    record,
    stats: stderr.split('\n').findLast((line) => line.startsWith('chunksSent=')) ?? counts,
    stderrTail: stderr.trim().split('\n').slice(-5).join('\n'),
  };
}
