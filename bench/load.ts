import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { issueToken } from '../local/auth.ts';
import { startLocalStack } from '../local/local-stack.ts';
import { emulatorVersion, useEmbeddedEmulator } from './emulated-env.ts';
import { runLoad } from './load/generator.ts';
import { markdownReport, routeFigures, textReport } from './load/report.ts';
import { runSweepReport } from './load/sweep-report.ts';
import { MIB, note, round } from './upload/support.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');

/** The long form: a fixed number of mixed sessions at one parallelism. */
const FLAGS = {
  sessions: 240,
  parallelism: 24,
  users: 12,
  'min-size': 1024,
  'max-size': 12 * MIB,
  'chunk-size': 5 * MIB,
  'deadline-s': 240,
  seed: 42,
  'cancel-rate': 0.1,
  'lost-record-rate': 0.15,
  'progress-rate': 0.3,
} as const;
type Flag = keyof typeof FLAGS;

/**
 * The sweep (`--sweep`, or `--steps 1,2,4`): users x sessions-per-user sessions of
 * chunks-per-session chunks, once per concurrency step. By default small one-chunk files, so that
 * the control plane (API, DynamoDB), not the bytes, is what saturates.
 */
const SWEEP_FLAGS = {
  users: 16,
  'sessions-per-user': 8,
  'chunks-per-session': 1,
  'chunk-size': 256 * 1024,
  'step-deadline-s': 120,
} as const;
type SweepFlag = keyof typeof SWEEP_FLAGS;
const DEFAULT_STEPS = [1, 2, 4, 8, 16, 32, 64];

const envName = (name: string) => `LOAD_${name.toUpperCase().replaceAll('-', '_')}`;

function readSettings() {
  const names = [...new Set([...Object.keys(FLAGS), ...Object.keys(SWEEP_FLAGS), 'steps'])];
  const { values } = parseArgs({
    options: {
      ...Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
      sweep: { type: 'boolean' as const },
    },
  });
  const given = (name: string) =>
    ((values as Record<string, unknown>)[name] as string | undefined) ??
    process.env[envName(name)] ??
    undefined;
  const number = (name: string, fallback: number) => {
    const raw = given(name);
    const value = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isFinite(value))
      throw new Error(`--${name} (${envName(name)}) must be a number: ${raw}`);
    return value;
  };
  const stepsRaw = given('steps');
  const sweep =
    values.sweep === true || /^(1|true)$/i.test(process.env.LOAD_SWEEP ?? '') || !!stepsRaw;
  const flags = {} as Record<Flag, number>;
  for (const [name, fallback] of Object.entries(FLAGS) as [Flag, number][])
    flags[name] = number(
      name,
      sweep && name in SWEEP_FLAGS ? SWEEP_FLAGS[name as SweepFlag] : fallback,
    );
  const sweepFlags = {} as Record<SweepFlag, number>;
  for (const [name, fallback] of Object.entries(SWEEP_FLAGS) as [SweepFlag, number][])
    sweepFlags[name] = number(name, fallback);
  const steps = stepsRaw
    ? stepsRaw.split(',').map((part) => {
        const value = Number(part.trim());
        if (!Number.isInteger(value)) throw new Error(`--steps must list integers: ${stepsRaw}`);
        return value;
      })
    : DEFAULT_STEPS;
  return { sweep, flags, sweepFlags, steps };
}

async function main(): Promise<void> {
  const { sweep, flags, sweepFlags, steps } = readSettings();
  useEmbeddedEmulator('uploads-load');
  const moto = await emulatorVersion();

  note('starting the emulator and the local API (port 0)');
  // What the server answered with 5xx, and why (the handlers' logged errors, captured).
  let serverErrors = new Map<string, number>();
  const stack = await startLocalStack({
    port: 0,
    log: (line) => note(`emulator: ${line}`),
    logFormat: 'none',
    onRequest: (record) => {
      if (record.status < 500) return;
      const key = `${record.routeId ?? record.route} ${record.status} ${record.error?.cause ?? record.error?.code ?? ''}`;
      serverErrors.set(key, (serverErrors.get(key) ?? 0) + 1);
    },
  });
  const takeServerErrors = () => {
    const taken = Object.fromEntries(serverErrors);
    serverErrors = new Map();
    return taken;
  };
  try {
    if (sweep) {
      await runSweepReport(stack, moto, flags, sweepFlags, steps, takeServerErrors);
      return;
    }
    note(
      `API ${stack.apiUrl}, S3 ${stack.storage.s3Endpoint}, DynamoDB ${stack.storage.dynamodbEndpoint}`,
    );
    const interrupt = new AbortController();
    process.once('SIGINT', () => interrupt.abort(new Error('interrupted')));
    let done = 0;
    note(
      `load: ${flags.sessions} sessions, parallelism ${flags.parallelism}, deadline ${flags['deadline-s']} s`,
    );
    const result = await runLoad({
      apiUrl: stack.apiUrl,
      token: (user) => issueToken(`load-user-${user}`),
      users: flags.users,
      sessions: flags.sessions,
      parallelism: flags.parallelism,
      fileSize: { min: flags['min-size'], max: flags['max-size'] },
      chunkSize: flags['chunk-size'],
      deadlineMs: flags['deadline-s'] * 1000,
      seed: flags.seed,
      cancelRate: flags['cancel-rate'],
      lostRecordRate: flags['lost-record-rate'],
      progressRate: flags['progress-rate'],
      signal: interrupt.signal,
      onSession: () => {
        if (++done % 20 === 0) note(`load: ${done} sessions done`);
      },
    });

    const detail =
      `${flags.sessions} sessions of ${flags['min-size']} B to ${round(flags['max-size'] / MIB, 2)} MiB (${round(flags['chunk-size'] / MIB, 2)} MiB chunks), ` +
      `${flags.parallelism} in parallel for ${flags.users} users, seed ${flags.seed}; about ${flags['cancel-rate'] * 100}% cancelled part-way, ` +
      `${flags['lost-record-rate'] * 100}% with one record call skipped and reconciled by resume, progress checked after ${flags['progress-rate'] * 100}% of chunks. ` +
      'Each completed file is downloaded and its SHA-256 compared with the bytes sent. No retries: every failure counts. ' +
      'Latency is client wall time per request (nearest-rank percentiles over answered requests); req/s is answered requests over the run wall time.';
    const intro =
      `Node ${process.version}, ${cpus().length} CPUs, ${round(totalmem() / 1024 ** 3, 0)} GiB RAM, load average ${loadavg()[0]?.toFixed(1)} at the end; ${moto} (embedded emulators) ` +
      'and the API server in this process, every request on 127.0.0.1.';
    const notes = [
      'The API server runs in this process (as local/local-stack.ts starts it), sharing its event loop with the generator, and LocalStack (S3) and moto (DynamoDB) run on the same 2 cores: the latencies are those of a saturated emulator, not of Lambda and AWS.',
      'LocalStack verifies signatures and checksums like S3; both emulators keep their state locally.',
      'Handler logs are at ERROR level and metrics are disabled (POWERTOOLS_METRICS_DISABLED); the local server captures what handlers print instead of printing it, so that stdout carries only results.',
    ];
    console.log(`${intro}\n${detail}\n\n${textReport(result)}`);
    console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);

    const pass =
      result.stoppedBy === 'done' &&
      result.totals.errors === 0 &&
      result.mismatches.length === 0 &&
      result.failures.length === 0;
    const finalLine = {
      pass,
      stoppedBy: result.stoppedBy,
      durationS: round(result.durationMs / 1000, 1),
      sessions: result.settings.sessions,
      parallelism: result.settings.parallelism,
      outcomes: result.outcomes,
      requests: result.totals.requests,
      errors: result.totals.errors,
      aborted: result.totals.aborted,
      requestsPerSecond: round(result.totals.requestsPerSecond, 1),
      apiRequestsPerSecond: round(result.totals.apiRequestsPerSecond, 1),
      mismatches: result.mismatches.length,
      latencyMs: Object.fromEntries(
        result.routes.map((r) => [r.route, { p50: round(r.p50Ms, 1), p99: round(r.p99Ms, 1) }]),
      ),
    };
    await mkdir(RESULTS, { recursive: true });
    const json = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      machine: { cpus: cpus().length, totalMemGiB: round(totalmem() / 1024 ** 3, 1) },
      emulator: { versions: moto },
      settings: { ...result.settings, apiUrl: undefined },
      summary: finalLine,
      totals: result.totals,
      routes: routeFigures(result),
      mismatches: result.mismatches,
      failures: result.failures,
      notes,
    };
    await writeFile(join(RESULTS, 'load.json'), `${JSON.stringify(json, null, 2)}\n`);
    await writeFile(
      join(RESULTS, 'load.md'),
      [
        '# Load test',
        '',
        `Measured ${json.measuredAt} with \`npm run bench:load\`. ${intro}`,
        '',
        detail,
        '',
        markdownReport(result),
        '',
        '## Notes',
        '',
        ...notes.map((n) => `- ${n}`),
        '',
      ].join('\n'),
    );
    console.log('\nWrote bench/results/load.json and bench/results/load.md');
    console.log(JSON.stringify(finalLine));
    if (!pass) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

await main();
