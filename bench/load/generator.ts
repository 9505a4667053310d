/**
 * A bounded load generator for the local API: many sessions in parallel through the real routes,
 * loopback only, stopping by itself when the sessions are done or the deadline passes (in-flight
 * requests are then aborted and reported as such). File bytes are generated from a seed per
 * session, so memory stays near parallelism x chunk size whatever the number of sessions.
 */
import { apiBaseUrl } from '../../client/sdk/api.ts';
import { type PlanOptions, planSession } from './content.ts';
import { assertLoopback } from './loopback.ts';
import type { RequestContext } from './requests.ts';
import { pendingReport, runSession, type SessionOutcome, type SessionReport } from './session.ts';
import { type RouteKey, RouteStats, type RouteSummary } from './stats.ts';

export interface LoadOptions {
  /** The server root or the API base; refused unless it is a loopback URL. */
  readonly apiUrl: string;
  /** A bearer token for virtual user `user` (0 .. users - 1), asked once per session. */
  readonly token: (user: number) => string | Promise<string>;
  readonly users: number;
  readonly sessions: number;
  /** Sessions in flight at once. */
  readonly parallelism: number;
  /** File sizes in bytes, drawn uniformly per session (inclusive). */
  readonly fileSize: { readonly min: number; readonly max: number };
  /** Requested at initiate; the API refuses less than 5 MiB for files of more than one chunk. */
  readonly chunkSize: number;
  /** Hard limit of the run in ms: whatever is still running then is aborted. */
  readonly deadlineMs: number;
  readonly seed?: number;
  readonly cancelRate?: number;
  readonly lostRecordRate?: number;
  readonly progressRate?: number;
  /** Delete each verified file afterwards (DELETE /uploads/{id}/file): storage stays small. */
  readonly deleteFiles?: boolean;
  /** Stops the run early (reported as stoppedBy 'signal'). */
  readonly signal?: AbortSignal;
  readonly onSession?: (report: SessionReport) => void;
}

export interface LoadTotals {
  readonly requests: number;
  readonly ok: number;
  readonly errors: number;
  readonly aborted: number;
  /** Answered requests (API and storage) per second. */
  readonly requestsPerSecond: number;
  readonly apiRequests: number;
  readonly apiRequestsPerSecond: number;
  readonly bytesUploaded: number;
  readonly bytesDownloaded: number;
}

export interface LoadResult {
  readonly stoppedBy: 'done' | 'deadline' | 'signal';
  readonly durationMs: number;
  readonly settings: Omit<Required<LoadOptions>, 'token' | 'signal' | 'onSession'>;
  readonly routes: readonly RouteSummary[];
  readonly totals: LoadTotals;
  /** Latency of every answered API request together (storage requests left out). */
  readonly apiLatency: ReturnType<RouteStats['combined']>;
  readonly outcomes: Readonly<Record<SessionOutcome, number>>;
  readonly sessions: readonly SessionReport[];
  /** Completed sessions whose downloaded bytes differ from the uploaded ones. */
  readonly mismatches: readonly SessionReport[];
  readonly failures: readonly SessionReport[];
}

/** Routes in the order a session uses them; storage requests are not API routes. */
export const ROUTE_ORDER: readonly RouteKey[] = [
  'initiate',
  'chunkUrls',
  'storagePut',
  'recordChunk',
  'progress',
  'resume',
  'complete',
  'download',
  'storageGet',
  'cancel',
  'getUpload',
  'deleteFile',
];
export const STORAGE_ROUTES: ReadonlySet<RouteKey> = new Set(['storagePut', 'storageGet']);

class DeadlinePassed extends Error {
  override readonly name = 'DeadlinePassed';
}

function validate(options: LoadOptions): void {
  assertLoopback(options.apiUrl, 'apiUrl');
  const positive = {
    users: options.users,
    sessions: options.sessions,
    parallelism: options.parallelism,
    chunkSize: options.chunkSize,
    deadlineMs: options.deadlineMs,
  };
  for (const [name, value] of Object.entries(positive))
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`${name} must be a positive integer`);
  const { min, max } = options.fileSize;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min)
    throw new RangeError('fileSize must be integers with 0 <= min <= max');
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  validate(options);
  const settings = {
    apiUrl: options.apiUrl,
    users: options.users,
    sessions: options.sessions,
    parallelism: options.parallelism,
    fileSize: options.fileSize,
    chunkSize: options.chunkSize,
    deadlineMs: options.deadlineMs,
    seed: options.seed ?? 1,
    cancelRate: options.cancelRate ?? 0.1,
    lostRecordRate: options.lostRecordRate ?? 0.15,
    progressRate: options.progressRate ?? 0.3,
    deleteFiles: options.deleteFiles ?? false,
  };
  const planOptions: PlanOptions = settings;

  const stop = new AbortController();
  const deadline = setTimeout(
    () => stop.abort(new DeadlinePassed(`deadline of ${settings.deadlineMs} ms passed`)),
    settings.deadlineMs,
  );
  const onCallerAbort = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) onCallerAbort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });

  const stats = new RouteStats();
  const ctx: RequestContext = {
    baseUrl: apiBaseUrl(settings.apiUrl),
    stats,
    signal: stop.signal,
    bytes: { uploaded: 0, downloaded: 0 },
  };
  const reports: SessionReport[] = [];
  let next = 0;
  const worker = async () => {
    while (!stop.signal.aborted && next < settings.sessions) {
      const plan = planSession(planOptions, next++);
      const token = await options.token(plan.user);
      const report = await runSession(ctx, plan, token, { deleteFiles: settings.deleteFiles });
      reports[plan.index] = report;
      options.onSession?.(report);
    }
  };

  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: Math.min(settings.parallelism, settings.sessions) }, worker),
    );
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
  const durationMs = performance.now() - started;
  for (let index = 0; index < settings.sessions; index++)
    reports[index] ??= pendingReport(planSession(planOptions, index));

  const stoppedBy = !stop.signal.aborted
    ? 'done'
    : stop.signal.reason instanceof DeadlinePassed
      ? 'deadline'
      : 'signal';
  const routes = stats.summarize(durationMs, ROUTE_ORDER);
  return {
    stoppedBy,
    durationMs,
    settings,
    routes,
    totals: totalsOf(routes, durationMs, ctx.bytes),
    apiLatency: stats.combined(stats.seen().filter((r) => !STORAGE_ROUTES.has(r))),
    outcomes: countOutcomes(reports),
    sessions: reports,
    mismatches: reports.filter((r) => r.outcome === 'mismatch'),
    failures: reports.filter((r) => r.outcome === 'failed'),
  };
}

function totalsOf(
  routes: readonly RouteSummary[],
  durationMs: number,
  bytes: RequestContext['bytes'],
): LoadTotals {
  const sum = (list: readonly RouteSummary[], field: 'count' | 'ok' | 'errors' | 'aborted') =>
    list.reduce((total, r) => total + r[field], 0);
  const api = routes.filter((r) => !STORAGE_ROUTES.has(r.route));
  const seconds = durationMs / 1000;
  const answered = sum(routes, 'ok') + sum(routes, 'errors');
  const apiAnswered = sum(api, 'ok') + sum(api, 'errors');
  return {
    requests: sum(routes, 'count'),
    ok: sum(routes, 'ok'),
    errors: sum(routes, 'errors'),
    aborted: sum(routes, 'aborted'),
    requestsPerSecond: answered / seconds,
    apiRequests: sum(api, 'count'),
    apiRequestsPerSecond: apiAnswered / seconds,
    bytesUploaded: bytes.uploaded,
    bytesDownloaded: bytes.downloaded,
  };
}

function countOutcomes(reports: readonly SessionReport[]): Record<SessionOutcome, number> {
  const counts: Record<SessionOutcome, number> = {
    verified: 0,
    mismatch: 0,
    cancelled: 0,
    failed: 0,
    aborted: 0,
    'not-started': 0,
  };
  for (const report of reports) counts[report.outcome]++;
  return counts;
}
