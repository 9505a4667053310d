/**
 * What `npm run bench` measures, from flags (`npm run bench -- --file-mib 64`) or environment
 * variables (`BENCH_FILE_MIB=64`); flags win.
 */
import { parseArgs } from 'node:util';
import { MIB } from './support.ts';

export interface BenchSettings {
  /** Throughput file (MiB). */
  readonly fileMiB: number;
  /** Part (chunk) size of both clients, and of the CLI run (MiB). */
  readonly partMiB: number;
  readonly concurrency: number;
  /** Measured runs of each client at each added latency. */
  readonly runs: number;
  /** Added latency of every API call (ms), one set of runs each. */
  readonly latenciesMs: readonly number[];
  /** Also time lib-storage with the same latency added to its multipart control calls. */
  readonly libStorageDelayed: boolean;
  /** Attempts of one measured run before the benchmark gives up (a run that fails is redone). */
  readonly runAttempts: number;
  /** The CLI's upload (MiB); 0 skips the CLI section. */
  readonly cliFileMiB: number;
  /** The CLI file when the measured SDK rate projects beyond `cliBudgetS` (MiB). */
  readonly cliFallbackMiB: number;
  readonly cliBudgetS: number;
  /** One-chunk sessions of the route-latency section; 0 skips it. */
  readonly latencySessions: number;
  /** The file each chunk size of the cost model uploads (MiB); 0 skips the cost model. */
  readonly costFileMiB: number;
  /** Chunk sizes the cost model measures (MiB). */
  readonly costChunksMiB: readonly number[];
  /** The volume the cost model prices (GiB; 1024 = 1 TiB). */
  readonly costTotalGiB: number;
  /** Where upload.json and upload.md go (relative to the repository root, or absolute). */
  readonly resultsDir: string;
}

export const DEFAULT_SETTINGS: BenchSettings = {
  fileMiB: 128,
  partMiB: 8,
  concurrency: 4,
  runs: 2,
  latenciesMs: [0, 60, 120],
  libStorageDelayed: true,
  runAttempts: 3,
  cliFileMiB: 1024,
  cliFallbackMiB: 512,
  cliBudgetS: 300,
  latencySessions: 200,
  costFileMiB: 1024,
  costChunksMiB: [5, 16, 64],
  costTotalGiB: 1024,
  resultsDir: 'bench/results',
};

type Key = keyof BenchSettings;

/** Flag name and environment variable of each setting. */
export const SETTING_NAMES: Readonly<Record<Key, { flag: string; env: string }>> = {
  fileMiB: { flag: 'file-mib', env: 'BENCH_FILE_MIB' },
  partMiB: { flag: 'part-mib', env: 'BENCH_PART_MIB' },
  concurrency: { flag: 'concurrency', env: 'BENCH_CONCURRENCY' },
  runs: { flag: 'runs', env: 'BENCH_RUNS' },
  latenciesMs: { flag: 'latencies', env: 'BENCH_LATENCIES' },
  libStorageDelayed: { flag: 'lib-storage-delayed', env: 'BENCH_LIB_STORAGE_DELAYED' },
  runAttempts: { flag: 'run-attempts', env: 'BENCH_RUN_ATTEMPTS' },
  cliFileMiB: { flag: 'cli-file-mib', env: 'BENCH_CLI_FILE_MIB' },
  cliFallbackMiB: { flag: 'cli-fallback-mib', env: 'BENCH_CLI_FALLBACK_MIB' },
  cliBudgetS: { flag: 'cli-budget-s', env: 'BENCH_CLI_BUDGET_S' },
  latencySessions: { flag: 'latency-sessions', env: 'BENCH_LATENCY_SESSIONS' },
  costFileMiB: { flag: 'cost-file-mib', env: 'BENCH_COST_FILE_MIB' },
  costChunksMiB: { flag: 'cost-chunks-mib', env: 'BENCH_COST_CHUNKS_MIB' },
  costTotalGiB: { flag: 'cost-total-gib', env: 'BENCH_COST_TOTAL_GIB' },
  resultsDir: { flag: 'results-dir', env: 'BENCH_RESULTS_DIR' },
};

const S3_MIN_PART_MIB = 5;

function integer(raw: string, name: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

function integers(raw: string, name: string, min: number, max: number, what: string): number[] {
  const values = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => integer(part, name, min, max));
  if (values.length === 0) throw new Error(`${name} must list at least one ${what}`);
  return [...new Set(values)].sort((a, b) => a - b);
}

const latencies = (raw: string, name: string) => integers(raw, name, 0, 10_000, 'latency in ms');

function flag(raw: string, name: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

/** Settings from `args` (flags) and `env`; unknown flags are refused. */
export function readSettings(
  args: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): BenchSettings {
  const { values } = parseArgs({
    args: [...args],
    options: Object.fromEntries(
      Object.values(SETTING_NAMES).map(({ flag: name }) => [name, { type: 'string' as const }]),
    ),
    strict: true,
  });
  const raw = (key: Key): { value: string; name: string } | undefined => {
    const { flag: name, env: variable } = SETTING_NAMES[key];
    const given = values[name] as string | undefined;
    if (given !== undefined) return { value: given, name: `--${name}` };
    const fromEnv = env[variable];
    return fromEnv === undefined || fromEnv === '' ? undefined : { value: fromEnv, name: variable };
  };
  const int = (key: Key, min: number, max: number): number => {
    const r = raw(key);
    return r ? integer(r.value, r.name, min, max) : (DEFAULT_SETTINGS[key] as number);
  };
  const latency = raw('latenciesMs');
  const costChunks = raw('costChunksMiB');
  const results = raw('resultsDir');
  const delayed = raw('libStorageDelayed');
  const settings: BenchSettings = {
    fileMiB: int('fileMiB', 1, 64 * 1024),
    partMiB: int('partMiB', S3_MIN_PART_MIB, 5 * 1024),
    concurrency: int('concurrency', 1, 64),
    runs: int('runs', 1, 100),
    latenciesMs: latency ? latencies(latency.value, latency.name) : DEFAULT_SETTINGS.latenciesMs,
    libStorageDelayed: delayed
      ? flag(delayed.value, delayed.name)
      : DEFAULT_SETTINGS.libStorageDelayed,
    runAttempts: int('runAttempts', 1, 10),
    cliFileMiB: int('cliFileMiB', 0, 64 * 1024),
    cliFallbackMiB: int('cliFallbackMiB', 1, 64 * 1024),
    cliBudgetS: int('cliBudgetS', 1, 24 * 3600),
    latencySessions: int('latencySessions', 0, 100_000),
    costFileMiB: int('costFileMiB', 0, 64 * 1024),
    costChunksMiB: costChunks
      ? integers(costChunks.value, costChunks.name, S3_MIN_PART_MIB, 5 * 1024, 'chunk size in MiB')
      : DEFAULT_SETTINGS.costChunksMiB,
    costTotalGiB: int('costTotalGiB', 1, 1024 * 1024),
    resultsDir: results ? results.value : DEFAULT_SETTINGS.resultsDir,
  };
  if (settings.fileMiB <= settings.partMiB)
    throw new Error(
      `the throughput file (${settings.fileMiB} MiB) must be larger than a part (${settings.partMiB} MiB): lib-storage sends smaller files in one PutObject`,
    );
  return settings;
}

export const bytes = (mib: number): number => mib * MIB;
