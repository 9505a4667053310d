import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  describeFaultTable,
  freshUser,
  prepared,
  SCENARIOS,
  type Scenario,
} from '../support/fault-table.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { chunkSet } from '../support/race-kit.ts';
import { hookHandlers, type SdkHooks, serviceError } from '../support/sdk-hooks.ts';
import {
  expectSafeError,
  expectUnavailable,
  failCall,
  storageCalls,
} from '../support/storage-faults.ts';

let harness: Harness;
let hooks: SdkHooks;

beforeAll(async () => {
  harness = await startHarness({ COMPLETION_WAIT_MS: '300', POWERTOOLS_LOG_LEVEL: 'SILENT' });
  hooks = await hookHandlers();
});
afterEach(() => hooks.clear());
afterAll(() => harness?.close());

// complete and cancel run in storage-faults-complete.test.ts (split for run time).
describeFaultTable(
  () => ({ harness, hooks }),
  [
    'initiate',
    'chunkUrls',
    'recordChunk',
    'recordChunks',
    'progress',
    'resume',
    'getUpload',
    'download',
    'listUploads',
  ],
);

const scenario = (route: string) => SCENARIOS.find((s) => s.route === route) as Scenario;

describe('errors that are not outages keep their contract meaning', () => {
  const sessionItem = async (id: string) =>
    (
      await harness.db.send(
        new GetCommand({ TableName: harness.table, Key: { PK: `SESSION#${id}`, SK: 'SESSION' } }),
      )
    ).Item as Record<string, unknown>;

  it('NoSuchUpload from ListParts on record: CHUNK_NOT_UPLOADED, nothing recorded', async () => {
    const ctx = await prepared(scenario('recordChunk'));
    failCall(hooks, 1, () => serviceError('NoSuchUpload', 404));

    const res = await ctx.api.record(ctx.id, 0, { etag: ctx.etag });

    expect({ status: res.status, code: res.body.error.code }).toEqual({
      status: 404,
      code: 'CHUNK_NOT_UPLOADED',
    });
    expect(await chunkSet(harness, ctx.id)).toEqual([]);
  });

  it('NoSuchUpload from AbortMultipartUpload on cancel: already released, 200', async () => {
    const ctx = await prepared(scenario('cancel'));
    failCall(hooks, 2, () => serviceError('NoSuchUpload', 404));

    const res = await ctx.api.request('DELETE', `/uploads/${ctx.id}`);

    expect(res.status).toBe(200);
    expect((await sessionItem(ctx.id)).status).toBe('cancelled');
  });

  it('a lost conditional write on cancel is retried against the fresh item: 200', async () => {
    const ctx = await prepared(scenario('cancel'));
    failCall(hooks, 1, () => serviceError('ConditionalCheckFailedException', 400));

    const res = await ctx.api.request('DELETE', `/uploads/${ctx.id}`);

    expect(res.status).toBe(200);
    expect((await sessionItem(ctx.id)).status).toBe('cancelled');
  });

  it('a lost conditional write electing the completer: retry later, not 503', async () => {
    const ctx = await prepared(scenario('complete'));
    failCall(hooks, 3, () => serviceError('ConditionalCheckFailedException', 400));

    const res = await ctx.api.request('POST', `/uploads/${ctx.id}/complete`);

    expect({ status: res.status, code: res.body.error.code }).toEqual({
      status: 409,
      code: 'COMPLETION_IN_PROGRESS',
    });
    expect(res.headers.get('retry-after')).toBe('2');
    expectSafeError(res);
    expect((await sessionItem(ctx.id)).status).toBe('uploading');
  });

  it('NoSuchUpload from CompleteMultipartUpload with no object: the session fails', async () => {
    const ctx = await prepared(scenario('complete'));
    failCall(hooks, 4, () => serviceError('NoSuchUpload', 404));

    const res = await ctx.api.request('POST', `/uploads/${ctx.id}/complete`);

    expect({ status: res.status, code: res.body.error.code }).toEqual({
      status: 409,
      code: 'INVALID_STATE',
    });
    expect(res.body.error.details.status).toBe('failed');
    expect((await sessionItem(ctx.id)).status).toBe('failed');
  });

  it('AccessDenied (a misconfiguration, not an outage): a generic 500 that reveals nothing', async () => {
    for (const [index, service] of [
      [0, 'dynamodb'],
      [1, 's3'],
    ] as const) {
      const ctx = await prepared(scenario('recordChunk'));
      failCall(hooks, index, () =>
        serviceError(
          service === 's3' ? 'AccessDenied' : 'AccessDeniedException',
          service === 's3' ? 403 : 400,
        ),
      );

      const res = await ctx.api.record(ctx.id, 0, { etag: ctx.etag });

      expect({ service, status: res.status, code: res.body.error.code }).toEqual({
        service,
        status: 500,
        code: 'INTERNAL_ERROR',
      });
      expect(res.body.error.message).toBe('Internal server error');
      expect(res.headers.get('retry-after')).toBeNull();
    }
  });

  it('a transaction cancelled for throttling (not a condition) on initiate: 503', async () => {
    const api = await freshUser();
    hooks.clear();
    failCall(hooks, 2, () =>
      Object.assign(serviceError('TransactionCanceledException', 400), {
        CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }],
      }),
    );

    const res = await api.initiate({ fileName: 't.bin', fileSize: 10, checksum: 'NONE' });

    expectUnavailable(res);
    expect(
      storageCalls(hooks.calls).filter((c) => c.endsWith('CreateMultipartUploadCommand')),
    ).toHaveLength(1);
  });
});
