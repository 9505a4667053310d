/** `npm run bench:load -- --sweep`: runs the concurrency sweep and writes load-sweep.{json,md}. */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueToken } from '../../local/auth.ts';
import type { LocalStack } from '../../local/local-stack.ts';
import { markdownTable, note, round, textTable } from '../upload/support.ts';
import { runSweep, type SweepResult, type SweepStep } from './sweep.ts';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const MIB = 1024 * 1024;

export interface SweepSettings {
  readonly users: number;
  readonly sessionsPerUser: number;
  readonly chunksPerSession: number;
  readonly chunkSize: number;
  readonly steps: readonly number[];
  readonly stepDeadlineS: number;
  readonly seed: number;
  readonly cancelRate: number;
  readonly lostRecordRate: number;
  readonly progressRate: number;
}

const ms = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(1));

export const SWEEP_HEADER = [
  'concurrency',
  'sessions done',
  'seconds',
  'API ok req/s',
  'sessions/s',
  'MB/s up',
  'API p50 ms',
  'API p99 ms',
  'record p99 ms',
  'errors',
  'stopped by',
];

export function sweepRows(steps: readonly SweepStep[]): string[][] {
  return steps.map((s) => [
    String(s.concurrency),
    `${s.sessionsDone}/${s.sessions}`,
    s.durationS.toFixed(1),
    s.apiOkPerSecond.toFixed(1),
    s.sessionsPerSecond.toFixed(2),
    s.uploadedMiBPerSecond.toFixed(1),
    ms(s.apiP50Ms),
    ms(s.apiP99Ms),
    ms(s.recordP99Ms),
    String(s.errors),
    s.stoppedBy,
  ]);
}

export function saturationLine(result: SweepResult): string {
  const { peak, saturatedAt, knee } = result.saturation;
  const peakText = peak
    ? `peak ${peak.throughput.toFixed(1)} API requests/s (ok) at concurrency ${peak.concurrency}`
    : 'no step ran';
  if (!saturatedAt)
    return `${peakText}; throughput still rose by 10% or more at every step: not saturated within the steps run.`;
  const why = {
    flat: 'throughput rose by less than 10% over the best step before',
    falling: 'throughput fell by more than 10% below the best step before',
    errors: 'requests failed',
    deadline: 'the step missed its deadline',
  }[saturatedAt.reason];
  return `${peakText}; saturated at concurrency ${saturatedAt.concurrency} (${why})${knee !== undefined ? `; the last step that paid off: ${knee}` : ''}.`;
}

export async function runSweepReport(
  stack: LocalStack,
  versions: string,
  flags: Record<string, number>,
  sweepFlags: Record<string, number>,
  steps: readonly number[],
  /** The server's 5xx answers since the last call, by route, status and cause. */
  takeServerErrors: () => Record<string, number> = () => ({}),
): Promise<void> {
  const settings: SweepSettings = {
    users: flags.users as number,
    sessionsPerUser: sweepFlags['sessions-per-user'] as number,
    chunksPerSession: sweepFlags['chunks-per-session'] as number,
    chunkSize: flags['chunk-size'] as number,
    steps,
    stepDeadlineS: sweepFlags['step-deadline-s'] as number,
    seed: flags.seed as number,
    cancelRate: flags['cancel-rate'] as number,
    lostRecordRate: flags['lost-record-rate'] as number,
    progressRate: flags['progress-rate'] as number,
  };
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort(new Error('interrupted')));
  const sessions = settings.users * settings.sessionsPerUser;
  const serverErrors = new Map<number, Record<string, number>>();
  note(
    `sweep: ${settings.users} users x ${settings.sessionsPerUser} sessions of ${settings.chunksPerSession} x ${settings.chunkSize} B, steps ${steps.join(',')}`,
  );
  const result = await runSweep({
    apiUrl: stack.apiUrl,
    token: (user) => issueToken(`sweep-user-${user}`),
    users: settings.users,
    sessionsPerUser: settings.sessionsPerUser,
    chunksPerSession: settings.chunksPerSession,
    chunkSize: settings.chunkSize,
    steps,
    stepDeadlineMs: settings.stepDeadlineS * 1000,
    seed: settings.seed,
    cancelRate: settings.cancelRate,
    lostRecordRate: settings.lostRecordRate,
    progressRate: settings.progressRate,
    signal: interrupt.signal,
    onStep: (s) => {
      serverErrors.set(s.concurrency, takeServerErrors());
      note(
        `concurrency ${s.concurrency}: ${s.apiOkPerSecond.toFixed(1)} API req/s, p50 ${ms(s.apiP50Ms)} ms, p99 ${ms(s.apiP99Ms)} ms, ${s.errors} errors, ${s.stoppedBy}`,
      );
    },
  });

  const intro =
    `Node ${process.version}, ${cpus().length} CPUs, ${round(totalmem() / 1024 ** 3, 0)} GiB RAM, load average ${loadavg()[0]?.toFixed(1)} at the end; ${versions} (embedded emulators) ` +
    'and the API server in this process, every request on 127.0.0.1.';
  const detail =
    `${settings.users} users x ${settings.sessionsPerUser} sessions = ${sessions} sessions per step, each a file of ${settings.chunksPerSession} chunk(s) of ${round(settings.chunkSize / MIB, 3)} MiB; ` +
    `one step per concurrency (sessions in flight at once: ${steps.join(', ')}), each over fresh sessions with a deadline of ${settings.stepDeadlineS} s. ` +
    `Each session: initiate, per chunk sign + PUT to storage + record, progress after ${settings.progressRate * 100}% of chunks, about ${settings.cancelRate * 100}% cancelled part-way and ${settings.lostRecordRate * 100}% with one record skipped and reconciled by resume; ` +
    'the others complete, download and compare the SHA-256, then delete the file. No retries: every failure counts. ' +
    'API ok req/s = API requests answered without error / step wall time; latencies are client wall times over every answered API request (nearest rank). ' +
    'A step saturates the stack when throughput rises by less than 10% over the best step before it, or requests fail, or the step misses its deadline.';
  const notes = [
    'The API server (the very handlers Lambda runs) and the load generator share this Node process and its event loop; LocalStack (S3) and moto (DynamoDB, calls serialised) run beside it on the same cores. This is the saturation point of the local emulator stack on this machine, not of API Gateway, Lambda, DynamoDB or S3.',
    'Handler logs are at ERROR level and metrics are disabled; the server captures what handlers print.',
  ];
  const errors = result.steps.flatMap((s) =>
    Object.entries(s.errorsByKey).map(([key, n]) => `concurrency ${s.concurrency}: ${key} x${n}`),
  );
  const causes = result.steps.flatMap((s) =>
    Object.entries(serverErrors.get(s.concurrency) ?? {})
      .sort(([, a], [, b]) => b - a)
      .map(([key, n]) => `concurrency ${s.concurrency}: ${key} x${n}`),
  );
  const table = sweepRows(result.steps);
  const verdict = saturationLine(result);
  console.log(`${intro}\n${detail}\n\n${textTable(SWEEP_HEADER, table)}\n\n${verdict}`);
  if (causes.length)
    console.log(`\nServer errors (5xx) by cause:\n${causes.map((c) => `  ${c}`).join('\n')}`);
  console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);

  const round2 = (n: number) => (Number.isNaN(n) ? null : round(n, 2));
  const summary = {
    steps: result.steps.map((s) => ({
      concurrency: s.concurrency,
      apiOkPerSecond: round2(s.apiOkPerSecond),
      sessionsPerSecond: round2(s.sessionsPerSecond),
      apiP50Ms: round2(s.apiP50Ms),
      apiP99Ms: round2(s.apiP99Ms),
      errors: s.errors,
      stoppedBy: s.stoppedBy,
    })),
    saturation: result.saturation,
  };
  const measuredAt = new Date().toISOString();
  await mkdir(RESULTS, { recursive: true });
  await writeFile(
    join(RESULTS, 'load-sweep.json'),
    `${JSON.stringify(
      {
        measuredAt,
        node: process.version,
        machine: { cpus: cpus().length, totalMemGiB: round(totalmem() / 1024 ** 3, 1) },
        emulator: { versions },
        settings: { ...settings, fileBytes: result.fileBytes, sessionsPerStep: sessions },
        summary,
        steps: result.steps.map((s) => ({
          ...s,
          serverErrors: serverErrors.get(s.concurrency) ?? {},
        })),
        notes,
      },
      null,
      2,
    )}\n`,
  );
  await writeFile(
    join(RESULTS, 'load-sweep.md'),
    [
      '# Load sweep: where the local stack saturates',
      '',
      `Measured ${measuredAt} with \`npm run bench:load -- --sweep\`. ${intro}`,
      '',
      detail,
      '',
      markdownTable(SWEEP_HEADER, table),
      '',
      `**${verdict}**`,
      '',
      errors.length ? ['Errors:', '', ...errors.map((e) => `- ${e}`)].join('\n') : 'Errors: none.',
      '',
      ...(causes.length
        ? [
            "Why, as the server logged its 5xx answers (route, status, the handler's error and its cause):",
            '',
            ...causes.map((c) => `- ${c}`),
            '',
          ]
        : []),
      '## Notes',
      '',
      ...notes.map((n) => `- ${n}`),
      '',
    ].join('\n'),
  );
  console.log('\nWrote bench/results/load-sweep.json and bench/results/load-sweep.md');
  console.log(JSON.stringify(summary));
  if (result.steps.length < steps.length) process.exitCode = 1;
}
