/** The load run as tables (text for the terminal, Markdown for bench/results) and a summary. */
import { ROUTES } from '../../src/http/routes.ts';
import { markdownTable, round, textTable } from '../upload/support.ts';
import type { LoadResult } from './generator.ts';
import type { RouteSummary } from './stats.ts';

export function requestOf(route: string): string {
  if (route === 'storagePut') return 'PUT <presigned URL> (storage)';
  if (route === 'storageGet') return 'GET <presigned URL> (storage, whole file)';
  const definition = ROUTES.find((r) => r.id === route);
  return definition ? `${definition.method} ${definition.path.replace('/api/v1', '')}` : route;
}

const ms = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(1));

const HEADER = [
  'route',
  'request',
  'count',
  'errors',
  'aborted',
  'req/s',
  'p50 ms',
  'p99 ms',
  'max ms',
];

function rows(routes: readonly RouteSummary[]): string[][] {
  return routes.map((r) => [
    r.route,
    requestOf(r.route),
    String(r.count),
    String(r.errors),
    String(r.aborted),
    r.requestsPerSecond.toFixed(1),
    ms(r.p50Ms),
    ms(r.p99Ms),
    ms(r.maxMs),
  ]);
}

/** Every error by route and key, e.g. `recordChunk: 503 STORAGE_UNAVAILABLE x2`. */
export function errorLines(result: LoadResult): string[] {
  return result.routes.flatMap((r) =>
    Object.entries(r.errorsByKey).map(([key, n]) => `${r.route}: ${key} x${n}`),
  );
}

export function summaryLines(result: LoadResult): string[] {
  const t = result.totals;
  const o = result.outcomes;
  const MIB = 1024 * 1024;
  return [
    `stopped by: ${result.stoppedBy} after ${(result.durationMs / 1000).toFixed(1)} s (deadline ${result.settings.deadlineMs / 1000} s)`,
    `sessions: ${result.settings.sessions} planned; ${o.verified} verified, ${o.cancelled} cancelled, ${o.mismatch} mismatched, ${o.failed} failed, ${o.aborted} aborted, ${o['not-started']} not started`,
    `requests: ${t.requests} (${t.apiRequests} to the API), ${t.errors} errors, ${t.aborted} aborted; ` +
      `${t.requestsPerSecond.toFixed(1)} req/s overall, ${t.apiRequestsPerSecond.toFixed(1)} API req/s`,
    `bytes: ${(t.bytesUploaded / MIB).toFixed(1)} MiB uploaded, ${(t.bytesDownloaded / MIB).toFixed(1)} MiB downloaded and verified`,
    ...(result.mismatches.length
      ? [`MISMATCHED FILES: ${result.mismatches.map((m) => `${m.fileName} (${m.id})`).join(', ')}`]
      : []),
    ...result.failures
      .slice(0, 10)
      .map((f) => `failed session ${f.index} (${f.id ?? 'no id'}): ${f.error}`),
  ];
}

export function textReport(result: LoadResult): string {
  const errors = errorLines(result);
  return [
    textTable(HEADER, rows(result.routes)),
    '',
    ...summaryLines(result),
    ...(errors.length ? ['errors:', ...errors.map((e) => `  ${e}`)] : ['errors: none']),
  ].join('\n');
}

export function markdownReport(result: LoadResult): string {
  const errors = errorLines(result);
  return [
    markdownTable(HEADER, rows(result.routes)),
    '',
    ...summaryLines(result).map((line) => `${line}  `),
    '',
    errors.length ? ['Errors:', '', ...errors.map((e) => `- ${e}`)].join('\n') : 'Errors: none.',
  ].join('\n');
}

/** The figures per route, rounded, for JSON. */
export function routeFigures(result: LoadResult) {
  return Object.fromEntries(
    result.routes.map((r) => [
      r.route,
      {
        count: r.count,
        errors: r.errors,
        errorsByKey: r.errorsByKey,
        aborted: r.aborted,
        rps: round(r.requestsPerSecond, 2),
        p50Ms: round(r.p50Ms, 2),
        p99Ms: round(r.p99Ms, 2),
        maxMs: round(r.maxMs, 2),
        meanMs: round(r.meanMs, 2),
      },
    ]),
  );
}
