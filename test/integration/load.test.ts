import { createHash } from 'node:crypto';
import { GetObjectCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBytes, planSession } from '../../bench/load/content.ts';
import {
  type LoadOptions,
  type LoadResult,
  ROUTE_ORDER,
  runLoad,
} from '../../bench/load/generator.ts';
import { runSweep } from '../../bench/load/sweep.ts';
import { issueToken } from '../../local/auth.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const MIB = 1024 * 1024;
const SESSIONS = 32;
const DEADLINE_MS = 45_000;

let harness: Harness;
let options: LoadOptions;
let result: LoadResult;

const sessionItem = async (id: string) =>
  (
    await harness.db.send(
      new GetCommand({ TableName: harness.table, Key: { PK: `SESSION#${id}`, SK: 'SESSION' } }),
    )
  ).Item;

beforeAll(async () => {
  harness = await startHarness({ POWERTOOLS_METRICS_DISABLED: 'true' });
  // Short form of bench/load.ts: files of 0 B to a little over two 5 MiB chunks (the API's
  // minimum chunk size for multi-chunk files), with more cancels and skipped record calls than
  // the long form so that a small run still exercises every route.
  options = {
    apiUrl: harness.url,
    token: (user) => issueToken(`load-user-${user}`),
    users: 8,
    sessions: SESSIONS,
    parallelism: 8,
    fileSize: { min: 0, max: 11 * MIB },
    chunkSize: 5 * MIB,
    deadlineMs: DEADLINE_MS,
    // This seed plans cancels after 0 to 1 chunks and record calls skipped mid-file and on the
    // last chunk (asserted below, so that a change of the plan cannot quietly drop them).
    seed: 11,
    cancelRate: 0.2,
    lostRecordRate: 0.3,
    progressRate: 0.5,
  };
  result = await runLoad(options);
}, 120_000);
afterAll(() => harness?.close());

describe('the short load run', () => {
  it('stops by itself once every session is done, before its deadline', () => {
    expect(result.stoppedBy).toBe('done');
    expect(result.durationMs).toBeLessThan(DEADLINE_MS);
    expect(result.sessions).toHaveLength(SESSIONS);
    expect(result.outcomes.aborted + result.outcomes['not-started']).toBe(0);
    expect(result.totals.aborted).toBe(0);
  });

  it('sees no error on any route, and exercises every route of the scenario', () => {
    expect(result.failures.map((f) => f.error)).toEqual([]);
    expect(result.totals.errors).toBe(0);
    for (const route of result.routes) expect(route.errorsByKey, route.route).toEqual({});
    // Every route of the scenario but deleteFile, which only runs with deleteFiles.
    expect(result.routes.map((r) => r.route)).toEqual(
      ROUTE_ORDER.filter((r) => r !== 'deleteFile'),
    );
    for (const route of result.routes) expect(route.ok, route.route).toBeGreaterThan(0);
    const plans = result.sessions.map((s) => planSession(result.settings, s.index));
    expect(plans.some((p) => p.action === 'cancel' && p.cancelAfter > 0)).toBe(true);
    expect(plans.some((p) => (p.lostRecordAt ?? Infinity) < p.totalChunks - 1)).toBe(true);
    expect(plans.some((p) => p.lostRecordAt === p.totalChunks - 1)).toBe(true);
  });

  it('completes every planned file with exactly the bytes sent, in storage and by download', async () => {
    const planned = result.sessions.filter((s) => s.action === 'complete');
    expect(planned.length).toBeGreaterThan(SESSIONS / 2);
    expect(result.mismatches).toEqual([]);
    expect(planned.map((s) => s.outcome)).toEqual(planned.map(() => 'verified'));
    for (const report of planned) {
      // The expected digest again, independently of the run: regenerated from the plan.
      const plan = planSession(result.settings, report.index);
      const expected = createHash('sha256')
        .update(fileBytes(plan.seed, 0, plan.fileSize))
        .digest('hex');
      expect(report.expectedSha256).toBe(expected);
      expect(report.actualSha256).toBe(expected);
      const item = await sessionItem(report.id as string);
      expect(item?.status).toBe('uploaded');
      const object = await harness.s3.send(
        new GetObjectCommand({ Bucket: harness.bucket, Key: item?.key as string }),
      );
      const stored = await object.Body?.transformToByteArray();
      expect(stored && createHash('sha256').update(stored).digest('hex')).toBe(expected);
    }
  });

  it('leaves every cancelled session cancelled, with its multipart upload released', async () => {
    const cancelled = result.sessions.filter((s) => s.action === 'cancel');
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled.map((s) => s.outcome)).toEqual(cancelled.map(() => 'cancelled'));
    for (const report of cancelled) {
      const item = await sessionItem(report.id as string);
      expect(item?.status).toBe('cancelled');
      const error = await harness.s3
        .send(
          new ListPartsCommand({
            Bucket: harness.bucket,
            Key: item?.key as string,
            UploadId: item?.uploadId as string,
          }),
        )
        .catch((e: unknown) => e);
      expect((error as Error).name).toBe('NoSuchUpload');
    }
  });
});

describe('a run that cannot finish before its deadline', () => {
  it('aborts the work in flight at the deadline and reports it as aborted, not as errors', async () => {
    const cut = await runLoad({
      ...options,
      token: (user) => issueToken(`load-deadline-user-${user}`),
      sessions: 400,
      deadlineMs: 1_500,
    });

    expect(cut.stoppedBy).toBe('deadline');
    expect(cut.durationMs).toBeLessThan(1_500 + 10_000);
    expect(cut.totals.errors).toBe(0);
    expect(cut.outcomes.failed).toBe(0);
    expect(cut.outcomes['not-started']).toBeGreaterThan(0);
    expect(cut.sessions).toHaveLength(400);
    // Every session that was running when the deadline passed had a request in flight.
    expect(cut.outcomes.aborted).toBe(cut.totals.aborted);
    expect(cut.outcomes.aborted).toBeGreaterThan(0);
  });
});

describe('a concurrency sweep of many users with many sessions each', () => {
  it('runs every step over fresh sessions, deletes the verified files and reports throughput and latency', async () => {
    // Act: 2 users x 2 sessions of 2 chunks, at concurrency 1 and 2.
    const sweep = await runSweep({
      apiUrl: harness.url,
      token: (user) => issueToken(`sweep-user-${user}`),
      users: 2,
      sessionsPerUser: 2,
      chunksPerSession: 2,
      chunkSize: 5 * MIB,
      steps: [1, 2],
      stepDeadlineMs: 40_000,
      seed: 5,
      cancelRate: 0,
      lostRecordRate: 0,
      progressRate: 0,
      warmupSessions: 1,
    });

    // Assess
    expect(sweep.fileBytes).toBe(10 * MIB);
    expect(sweep.steps.map((s) => [s.concurrency, s.stoppedBy, s.sessionsDone, s.errors])).toEqual([
      [1, 'done', 4, 0],
      [2, 'done', 4, 0],
    ]);
    for (const step of sweep.steps) {
      expect(step.apiOkPerSecond).toBeGreaterThan(0);
      expect(step.uploadedMiBPerSecond).toBeGreaterThan(0);
      expect(step.apiP99Ms).toBeGreaterThanOrEqual(step.apiP50Ms);
    }
    expect(sweep.saturation.peak?.concurrency).toBeOneOf([1, 2]);
    // Every verified file (the warm-up's too) was deleted through the API.
    const deleted = await harness.db.send(
      new ScanCommand({
        TableName: harness.table,
        FilterExpression: 'begins_with(userId, :sweep) AND SK = :session',
        ExpressionAttributeValues: { ':sweep': 'sweep-user-', ':session': 'SESSION' },
      }),
    );
    const statuses = (deleted.Items ?? []).map((item) => item.status);
    expect(statuses).toHaveLength(1 + 2 * 4);
    expect(new Set(statuses)).toEqual(new Set(['deleted']));
  }, 120_000);

  it('refuses steps that do not rise or a machine-sized run', async () => {
    const base = {
      apiUrl: harness.url,
      token: () => 'unused',
      users: 1,
      sessionsPerUser: 1,
      chunksPerSession: 1,
      chunkSize: MIB,
      stepDeadlineMs: 1_000,
    };
    await expect(runSweep({ ...base, steps: [4, 2] })).rejects.toThrow(/rising/);
    await expect(runSweep({ ...base, steps: [1000] })).rejects.toThrow(/rising/);
    await expect(
      runSweep({ ...base, users: 1000, sessionsPerUser: 100, steps: [1] }),
    ).rejects.toThrow(/sessions per step/);
  });
});
