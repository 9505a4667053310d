/**
 * Transient failures of the emulators must not end a benchmark: moto answers an occasional HTML
 * 500 under load, and a loaded machine resets a connection now and then. A step that fails that
 * way is done again (a measured run is timed again from the start) and the retry is reported.
 */
import { UploadApiError, UploadStorageError } from '../../client/sdk/errors.ts';
import { note } from './support.ts';

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const statusOf = (error: Record<string, unknown>): number | undefined => {
  if (typeof error.status === 'number') return error.status;
  const metadata = error.$metadata as { httpStatusCode?: unknown } | undefined;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
};

/**
 * True for what a retry can fix: 408, 429 and 5xx answers (of the API, storage or an AWS SDK
 * call), network errors and AWS errors marked as server faults or throttling. A 4xx answer, a
 * wrong result or a bug is not transient: retrying it would only hide it.
 */
export function isTransient(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const e = error as Record<string, unknown>;
  if (error instanceof UploadApiError)
    return (
      error.code === 'NETWORK_ERROR' ||
      error.status === 408 ||
      error.status === 429 ||
      error.status >= 500
    );
  if (error instanceof UploadStorageError)
    return error.status === 408 || error.status === 429 || error.status >= 500;
  const status = statusOf(e);
  if (status !== undefined && (status === 408 || status === 429 || status >= 500)) return true;
  if (e.$fault === 'server' || (e.$retryable && typeof e.$retryable === 'object')) return true;
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  if (error instanceof TypeError && error.message === 'fetch failed') return true;
  return isTransient(e.cause, depth + 1);
}

export const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & { code?: unknown; status?: unknown };
  const tags = [
    e.name,
    typeof e.code === 'string' ? e.code : undefined,
    typeof e.status === 'number' ? `HTTP ${e.status}` : undefined,
  ]
    .filter(Boolean)
    .join(' ');
  return `${tags}: ${e.message}`.slice(0, 300);
};

export interface Retry {
  /** What was done again, e.g. `throughput sdk 120 ms run 2`. */
  readonly step: string;
  /** The attempt that failed (1 = the first). */
  readonly attempt: number;
  readonly error: string;
}

/** Collects the retries of a whole benchmark for its report. */
export class RetryLog {
  readonly retries: Retry[] = [];

  /**
   * Runs `step` up to `attempts` times while it fails transiently; `cleanup` runs after each
   * failed attempt (best effort). Other failures, and the last transient one, are thrown.
   */
  async attempt<T>(
    step: string,
    attempts: number,
    run: (attempt: number) => Promise<T>,
    cleanup?: () => Promise<unknown>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(attempt);
      } catch (error) {
        if (attempt >= attempts || !isTransient(error)) throw error;
        const entry = { step, attempt, error: describeError(error) };
        this.retries.push(entry);
        note(`${step}: attempt ${attempt} failed (${entry.error}); trying again`);
        await cleanup?.().catch(() => undefined);
      }
    }
  }

  /** Notes a retry decided elsewhere (e.g. a CLI run that exited with an error). */
  record(step: string, attempt: number, error: string): void {
    this.retries.push({ step, attempt, error });
    note(`${step}: attempt ${attempt} failed (${error}); trying again`);
  }

  count(prefix = ''): number {
    return this.retries.filter((r) => r.step.startsWith(prefix)).length;
  }
}

/** Runs a clean-up step; a failure is noted, never thrown (it must not end the benchmark). */
export async function bestEffort(step: string, run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (error) {
    note(`${step} failed (ignored): ${describeError(error)}`);
    return false;
  }
}
