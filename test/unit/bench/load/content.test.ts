import { describe, expect, it } from 'vitest';
import {
  chunkLength,
  fileBytes,
  type PlanOptions,
  planSession,
} from '../../../../bench/load/content.ts';

const OPTIONS: PlanOptions = {
  sessions: 200,
  users: 7,
  seed: 3,
  fileSize: { min: 0, max: 23 * 1024 * 1024 },
  chunkSize: 5 * 1024 * 1024,
  cancelRate: 0.3,
  lostRecordRate: 0.3,
  progressRate: 0.3,
};

describe('fileBytes', () => {
  it('gives any range of a file without the bytes before it, at aligned or unaligned offsets', () => {
    const whole = fileBytes(42, 0, 1000);

    for (const [offset, length] of [
      [0, 16],
      [16, 100],
      [5, 1],
      [17, 983],
      [999, 1],
      [300, 0],
    ] as const)
      expect(fileBytes(42, offset, length)).toEqual(whole.subarray(offset, offset + length));
  });

  it('is the same for the same seed and differs between seeds', () => {
    expect(fileBytes(1, 0, 64)).toEqual(fileBytes(1, 0, 64));
    expect(fileBytes(1, 0, 64)).not.toEqual(fileBytes(2, 0, 64));
  });
});

describe('planSession', () => {
  const plans = Array.from({ length: OPTIONS.sessions }, (_, i) => planSession(OPTIONS, i));

  it('is deterministic', () => {
    expect(planSession(OPTIONS, 17)).toEqual(plans[17]);
  });

  it('draws sizes in range and splits them into chunks that add up to the file', () => {
    for (const plan of plans) {
      expect(plan.fileSize).toBeGreaterThanOrEqual(OPTIONS.fileSize.min);
      expect(plan.fileSize).toBeLessThanOrEqual(OPTIONS.fileSize.max);
      const lengths = Array.from({ length: plan.totalChunks }, (_, n) => chunkLength(plan, n));
      expect(lengths.reduce((a, b) => a + b, 0)).toBe(plan.fileSize);
      expect(lengths.slice(0, -1).every((l) => l === plan.chunkSize)).toBe(true);
      expect(plan.user).toBe(plan.index % OPTIONS.users);
    }
  });

  it('cancels before the last chunk, and skips a record call only among the chunks it sends', () => {
    for (const plan of plans) {
      if (plan.action === 'cancel') expect(plan.cancelAfter).toBeLessThan(plan.totalChunks);
      else expect(plan.cancelAfter).toBe(plan.totalChunks);
      if (plan.lostRecordAt !== undefined) expect(plan.lostRecordAt).toBeLessThan(plan.cancelAfter);
      for (const chunk of plan.progressAfter) expect(chunk).toBeLessThan(plan.cancelAfter);
    }
    expect(plans.some((p) => p.action === 'cancel')).toBe(true);
    expect(plans.some((p) => p.lostRecordAt !== undefined)).toBe(true);
  });
});
