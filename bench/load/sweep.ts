/**
 * A concurrency sweep of the load generator: many users, each with many sessions of a fixed
 * number of chunks, run once per concurrency step (sessions in flight at once). Each step is a
 * bounded runLoad (loopback only, its own deadline) over fresh sessions; the steps are compared
 * to find where the local stack saturates (saturation.ts).
 */
import { type LoadOptions, type LoadResult, runLoad } from './generator.ts';
import { findSaturation, type Saturation } from './saturation.ts';

export interface SweepOptions
  extends Pick<
    LoadOptions,
    'apiUrl' | 'token' | 'chunkSize' | 'cancelRate' | 'lostRecordRate' | 'progressRate' | 'signal'
  > {
  readonly users: number;
  readonly sessionsPerUser: number;
  /** Every session's file is exactly this many chunks of `chunkSize`. */
  readonly chunksPerSession: number;
  /** Sessions in flight at once, one step each, in this order. */
  readonly steps: readonly number[];
  /** Each step's own deadline. */
  readonly stepDeadlineMs: number;
  readonly seed?: number;
  /** Delete each verified file (default true: storage does not grow from step to step). */
  readonly deleteFiles?: boolean;
  /** Sessions run one at a time before the first step, not measured (default 4). */
  readonly warmupSessions?: number;
  readonly onStep?: (step: SweepStep) => void;
}

export interface SweepStep {
  readonly concurrency: number;
  readonly stoppedBy: LoadResult['stoppedBy'];
  readonly durationS: number;
  readonly sessions: number;
  readonly sessionsDone: number;
  /** API requests answered without error, per second of the step. */
  readonly apiOkPerSecond: number;
  readonly sessionsPerSecond: number;
  readonly uploadedMiBPerSecond: number;
  readonly apiP50Ms: number;
  readonly apiP99Ms: number;
  readonly recordP99Ms: number;
  /** Answered with an error, or failed in the network (API and storage). */
  readonly errors: number;
  readonly errorsByKey: Readonly<Record<string, number>>;
  readonly aborted: number;
}

export interface SweepResult {
  readonly steps: readonly SweepStep[];
  readonly saturation: Saturation;
  readonly fileBytes: number;
  readonly sessionsPerStep: number;
}

/** Steps must rise, stay small enough for one machine, and there must be at least one. */
export const MAX_STEP = 256;
export const MAX_SESSIONS_PER_STEP = 10_000;

function validate(options: SweepOptions): void {
  const { steps } = options;
  if (steps.length === 0) throw new RangeError('steps must list at least one concurrency');
  for (const [i, step] of steps.entries())
    if (
      !Number.isInteger(step) ||
      step < 1 ||
      step > MAX_STEP ||
      (i > 0 && step <= (steps[i - 1] as number))
    )
      throw new RangeError(
        `steps must be rising integers from 1 to ${MAX_STEP}, got ${steps.join(',')}`,
      );
  for (const name of ['users', 'sessionsPerUser', 'chunksPerSession'] as const)
    if (!Number.isInteger(options[name]) || options[name] < 1)
      throw new RangeError(`${name} must be a positive integer`);
  if (options.users * options.sessionsPerUser > MAX_SESSIONS_PER_STEP)
    throw new RangeError(`at most ${MAX_SESSIONS_PER_STEP} sessions per step`);
}

const MIB = 1024 * 1024;

export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  validate(options);
  const sessions = options.users * options.sessionsPerUser;
  const fileBytes = options.chunksPerSession * options.chunkSize;
  const steps: SweepStep[] = [];
  const common = {
    apiUrl: options.apiUrl,
    token: options.token,
    users: options.users,
    fileSize: { min: fileBytes, max: fileBytes },
    chunkSize: options.chunkSize,
    deadlineMs: options.stepDeadlineMs,
    ...(options.cancelRate !== undefined ? { cancelRate: options.cancelRate } : {}),
    ...(options.lostRecordRate !== undefined ? { lostRecordRate: options.lostRecordRate } : {}),
    ...(options.progressRate !== undefined ? { progressRate: options.progressRate } : {}),
    deleteFiles: options.deleteFiles ?? true,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const warmup = options.warmupSessions ?? 4;
  // Loads the handler modules and opens connections, so that the first step is not a cold start.
  if (warmup > 0)
    await runLoad({
      ...common,
      sessions: warmup,
      parallelism: 1,
      seed: (options.seed ?? 1) * 1000,
    });
  for (const concurrency of options.steps) {
    if (options.signal?.aborted) break;
    const result = await runLoad({
      apiUrl: options.apiUrl,
      token: options.token,
      users: options.users,
      sessions,
      parallelism: concurrency,
      fileSize: { min: fileBytes, max: fileBytes },
      chunkSize: options.chunkSize,
      deadlineMs: options.stepDeadlineMs,
      // Fresh sessions (and file contents) each step.
      seed: (options.seed ?? 1) * 1000 + concurrency,
      ...(options.cancelRate !== undefined ? { cancelRate: options.cancelRate } : {}),
      ...(options.lostRecordRate !== undefined ? { lostRecordRate: options.lostRecordRate } : {}),
      ...(options.progressRate !== undefined ? { progressRate: options.progressRate } : {}),
      deleteFiles: options.deleteFiles ?? true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const step = stepOf(concurrency, result);
    steps.push(step);
    options.onStep?.(step);
  }
  const saturation = findSaturation(
    steps.map((s) => ({
      concurrency: s.concurrency,
      throughput: s.apiOkPerSecond,
      errors: s.errors,
      finished: s.stoppedBy === 'done',
    })),
  );
  return { steps, saturation, fileBytes, sessionsPerStep: sessions };
}

export function stepOf(concurrency: number, result: LoadResult): SweepStep {
  const seconds = result.durationMs / 1000;
  const done = result.outcomes.verified + result.outcomes.cancelled + result.outcomes.mismatch;
  const errorsByKey: Record<string, number> = {};
  for (const route of result.routes)
    for (const [key, n] of Object.entries(route.errorsByKey))
      errorsByKey[`${route.route} ${key}`] = n;
  const record = result.routes.find((r) => r.route === 'recordChunk');
  return {
    concurrency,
    stoppedBy: result.stoppedBy,
    durationS: seconds,
    sessions: result.settings.sessions,
    sessionsDone: done,
    apiOkPerSecond: (result.apiLatency.answered - result.apiLatency.errors) / seconds,
    sessionsPerSecond: done / seconds,
    uploadedMiBPerSecond: result.totals.bytesUploaded / MIB / seconds,
    apiP50Ms: result.apiLatency.p50Ms,
    apiP99Ms: result.apiLatency.p99Ms,
    recordP99Ms: record?.p99Ms ?? Number.NaN,
    errors: result.totals.errors,
    errorsByKey,
    aborted: result.totals.aborted,
  };
}
