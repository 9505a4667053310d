/**
 * Retry options that keep retrying an unreachable API or storage for about `budgetMs` in all.
 *
 * The SDK's backoff draws each delay uniformly below a ceiling that doubles from `baseDelayMs` up
 * to `maxDelayMs`, so a run of retries waits about half the sum of its ceilings: the retries are
 * counted so that the ceilings add up to twice the budget. A budget of 2 minutes gives 29 retries
 * over about 2 minutes (never more than 4); `UPLOAD_API_RETRY_MS=1000` in tests gives 9 over ~1 s.
 */
import type { RetryOptions } from '../sdk/retry.ts';

/** How long the CLI keeps retrying by default: about 2 minutes. */
export const DEFAULT_RETRY_BUDGET_MS = 120_000;

export function retryForBudget(budgetMs: number): Required<Omit<RetryOptions, 'onRetry'>> {
  const maxDelayMs = Math.max(50, Math.min(10_000, Math.round(budgetMs / 4)));
  const baseDelayMs = Math.min(200, maxDelayMs);
  let retries = 0;
  let ceilings = 0;
  while (ceilings < 2 * budgetMs) {
    ceilings += Math.min(maxDelayMs, baseDelayMs * 2 ** retries);
    retries++;
  }
  return { retries, baseDelayMs, maxDelayMs, maxRetryAfterMs: Math.max(maxDelayMs, 60_000) };
}

/** `UPLOAD_API_RETRY_MS` (a positive integer), else the default. */
export function retryBudgetFrom(env: Record<string, string | undefined>): number {
  const text = env.UPLOAD_API_RETRY_MS;
  const value = text && /^\d+$/.test(text) ? Number(text) : Number.NaN;
  return value > 0 ? value : DEFAULT_RETRY_BUDGET_MS;
}
