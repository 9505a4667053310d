/**
 * Where a concurrency sweep saturates: throughput should rise with concurrency until something
 * (a core, an emulator, a lock) is busy all the time; from then on more concurrency only adds
 * queueing (latency rises, throughput stays flat or falls) or errors.
 */

export interface StepPoint {
  readonly concurrency: number;
  /** Answered requests per second without error. */
  readonly throughput: number;
  /** Requests answered with an error (or not answered) at this step. */
  readonly errors: number;
  /** Whether every session of the step finished before its deadline. */
  readonly finished: boolean;
}

export type SaturationReason =
  /** Throughput rose by less than the minimum gain over the best step before. */
  | 'flat'
  /** Throughput fell below the best step before by more than the minimum gain. */
  | 'falling'
  /** Requests failed at this step. */
  | 'errors'
  /** The step ran out of time before its sessions were done. */
  | 'deadline';

export interface Saturation {
  /** The step with the highest throughput. */
  readonly peak: { readonly concurrency: number; readonly throughput: number } | undefined;
  /** The first step at which the stack counts as saturated, and why; undefined if none was. */
  readonly saturatedAt:
    | { readonly concurrency: number; readonly reason: SaturationReason }
    | undefined;
  /** The last step before saturation: the highest concurrency that still paid off. */
  readonly knee: number | undefined;
}

/**
 * Steps in ascending concurrency. A step saturates the stack when it has errors, misses its
 * deadline, or fails to raise throughput by `minGain` (default 10%) over the best step before it.
 */
export function findSaturation(steps: readonly StepPoint[], minGain = 0.1): Saturation {
  const sorted = [...steps].sort((a, b) => a.concurrency - b.concurrency);
  const best = sorted.reduce<StepPoint | undefined>(
    (top, s) => (!top || s.throughput > top.throughput ? s : top),
    undefined,
  );
  const peak = best ? { concurrency: best.concurrency, throughput: best.throughput } : undefined;
  let bestSoFar: StepPoint | undefined;
  for (const [i, step] of sorted.entries()) {
    const reason: SaturationReason | undefined =
      step.errors > 0
        ? 'errors'
        : !step.finished
          ? 'deadline'
          : bestSoFar === undefined
            ? undefined
            : step.throughput < bestSoFar.throughput * (1 - minGain)
              ? 'falling'
              : step.throughput < bestSoFar.throughput * (1 + minGain)
                ? 'flat'
                : undefined;
    if (reason)
      return {
        peak,
        saturatedAt: { concurrency: step.concurrency, reason },
        knee: i > 0 ? sorted[i - 1]?.concurrency : undefined,
      };
    if (!bestSoFar || step.throughput > bestSoFar.throughput) bestSoFar = step;
  }
  return { peak, saturatedAt: undefined, knee: undefined };
}
