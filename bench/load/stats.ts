/** Latency and outcome statistics per route, with nearest-rank percentiles. */

/** A route of the API by its id in src/http/routes.ts, or a request straight to storage. */
export type RouteKey = string;

export type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error'; readonly key: string }
  | { readonly kind: 'aborted' };

export const OK: Outcome = { kind: 'ok' };

export interface RouteSummary {
  readonly route: RouteKey;
  /** Every request sent: answered (ok or error) plus aborted. */
  readonly count: number;
  readonly ok: number;
  readonly errors: number;
  /** Errors by `"<status> <code>"` (or `"network <cause>"`). */
  readonly errorsByKey: Readonly<Record<string, number>>;
  /** Requests in flight when the run was stopped; not errors, and not in the latencies. */
  readonly aborted: number;
  /** Answered requests per second of the run's wall time. */
  readonly requestsPerSecond: number;
  /** Over answered requests (ok and errors alike); NaN when none was answered. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** Nearest rank on ascending values: the smallest value with at least p% of them at or below. */
export function nearestRank(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function percentile(values: readonly number[], p: number): number {
  return nearestRank(
    [...values].sort((a, b) => a - b),
    p,
  );
}

interface RouteSamples {
  readonly latencies: number[];
  readonly errors: Map<string, number>;
  ok: number;
  aborted: number;
}

export class RouteStats {
  private readonly routes = new Map<RouteKey, RouteSamples>();

  record(route: RouteKey, latencyMs: number, outcome: Outcome): void {
    let samples = this.routes.get(route);
    if (!samples) {
      samples = { latencies: [], errors: new Map(), ok: 0, aborted: 0 };
      this.routes.set(route, samples);
    }
    if (outcome.kind === 'aborted') {
      samples.aborted++;
      return;
    }
    samples.latencies.push(latencyMs);
    if (outcome.kind === 'ok') samples.ok++;
    else samples.errors.set(outcome.key, (samples.errors.get(outcome.key) ?? 0) + 1);
  }

  /** Latency over the answered requests of several routes together (e.g. every API route). */
  combined(routes: readonly RouteKey[]): {
    readonly answered: number;
    readonly errors: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
  } {
    const samples = routes.flatMap((r) => this.routes.get(r) ?? []);
    const sorted = samples.flatMap((s) => s.latencies).sort((a, b) => a - b);
    return {
      answered: sorted.length,
      errors: samples.reduce((n, s) => n + [...s.errors.values()].reduce((a, b) => a + b, 0), 0),
      p50Ms: nearestRank(sorted, 50),
      p99Ms: nearestRank(sorted, 99),
      maxMs: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
    };
  }

  /** Every route seen so far. */
  seen(): RouteKey[] {
    return [...this.routes.keys()];
  }

  /** One summary per route seen, in the order given first, then the others in first-seen order. */
  summarize(durationMs: number, order: readonly RouteKey[] = []): RouteSummary[] {
    const seen = [...this.routes.keys()];
    const routes = [
      ...order.filter((r) => this.routes.has(r)),
      ...seen.filter((r) => !order.includes(r)),
    ];
    const seconds = durationMs / 1000;
    return routes.map((route) => {
      const s = this.routes.get(route) as RouteSamples;
      const sorted = [...s.latencies].sort((a, b) => a - b);
      const errors = [...s.errors.values()].reduce((a, b) => a + b, 0);
      return {
        route,
        count: sorted.length + s.aborted,
        ok: s.ok,
        errors,
        errorsByKey: Object.fromEntries(s.errors),
        aborted: s.aborted,
        requestsPerSecond: seconds > 0 ? sorted.length / seconds : Number.NaN,
        p50Ms: nearestRank(sorted, 50),
        p99Ms: nearestRank(sorted, 99),
        maxMs: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
        meanMs: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : Number.NaN,
      };
    });
  }
}
