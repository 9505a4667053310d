import { randomBytes, randomUUID } from 'node:crypto';
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, type MockInstance, vi } from 'vitest';
import { type ApiClient, chunksOf, sha256 } from '../support/api-client.ts';
import { sessionImage, streamRecord } from '../support/dynamodb-stream.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { hookHandlers } from '../support/sdk-hooks.ts';

const MIB = 1024 * 1024;
const endpoint = inject('s3Endpoint');

/** Everything the handlers print, as Lambda would ship it to CloudWatch Logs. */
const output: string[] = [];
let writes: MockInstance[] = [];
let harness: Harness;
let alice: ApiClient;

beforeAll(async () => {
  harness = await startHarness({
    POWERTOOLS_LOG_LEVEL: 'DEBUG', // the most the handlers can ever print
    POWERTOOLS_METRICS_NAMESPACE: 'UploadApiTest',
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
  alice = await harness.as('alice-observed');
  const capture = (stream: NodeJS.WriteStream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  writes = [capture(process.stdout), capture(process.stderr)];
});
afterAll(async () => {
  for (const spy of writes) spy.mockRestore();
  await harness?.close();
});

const jsonLines = () =>
  output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
const requestLogs = () =>
  jsonLines().filter((l) => l.message === 'request' || l.message === 'request failed');

/** Sums every metric of the embedded-metric-format lines printed so far. */
function metricTotals(): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of jsonLines()) {
    const aws = line._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } | undefined;
    for (const group of aws?.CloudWatchMetrics ?? [])
      for (const { Name } of group.Metrics) {
        const value = line[Name];
        const values = Array.isArray(value) ? (value as number[]) : [value as number];
        totals[Name] = (totals[Name] ?? 0) + values.reduce((a, b) => a + b, 0);
      }
  }
  return totals;
}

describe.skipIf(!endpoint)('logs and metrics of a busy session', () => {
  const secrets: string[] = [];
  let sizeCompleted = 0;

  it('logs one structured line per request and never a token, URL or signature', async () => {
    // Arrange: a user with a full upload, replays, errors, a cancel and a failed completion.
    secrets.push(alice.token);
    const bytes = randomBytes(5 * MIB + 1234);
    const key = randomUUID();
    const created = await alice.initiate(
      { fileName: 'observed.bin', fileSize: bytes.length },
      { 'idempotency-key': key },
    );
    const id = created.body.data.id as string;
    await alice.initiate(
      { fileName: 'observed.bin', fileSize: bytes.length },
      { 'idempotency-key': key },
    );
    const chunks = chunksOf(bytes, created.body.data.chunkSize);
    const signed = await alice.chunkUrls(
      id,
      chunks.map((chunk, chunkNumber) => ({ chunkNumber, checksumSha256: sha256(chunk) })),
    );
    const presignedUrl = signed.body.data.chunks[0].url as string;
    secrets.push(...signed.body.data.chunks.map((c: { url: string }) => c.url));
    for (const [n, chunk] of chunks.entries())
      expect((await alice.sendChunk(id, n, chunk)).status).toBe(200);
    await alice.request('GET', `/uploads/${id}/progress`);
    await alice.request('POST', `/uploads/${id}/resume`);
    expect((await alice.request('POST', `/uploads/${id}/complete`, {})).status).toBe(200);
    expect((await alice.request('POST', `/uploads/${id}/complete`, {})).status).toBe(200);
    sizeCompleted = bytes.length;
    const link = await alice.request('GET', `/uploads/${id}/download`);
    secrets.push(link.body.data.url);
    await alice.request('GET', `/uploads/${id}`);
    await alice.request('GET', '/uploads?status=all');
    await alice.request('GET', '/uploads/no-such-session');
    await alice.record(id, 0, { etag: 'nonsense' });

    const cancelled = await alice.initiate({ fileName: 'dropped.bin', fileSize: 10 });
    await alice.request('DELETE', `/uploads/${cancelled.body.data.id}`);
    await alice.request('DELETE', `/uploads/${cancelled.body.data.id}`);

    // A completion that fails for good: storage loses the multipart upload as it is assembled.
    const doomed = await alice.initiate({ fileName: 'doomed.bin', fileSize: 10 });
    const doomedId = doomed.body.data.id as string;
    await alice.sendChunk(doomedId, 0, randomBytes(10));
    const hooks = await hookHandlers();
    // The upload is aborted behind the API's back, so storage answers NoSuchUpload.
    const stopLosing = hooks.use(async (call, send) => {
      if (call.command !== 'CompleteMultipartUploadCommand') return send();
      await harness.s3.send(
        new AbortMultipartUploadCommand({
          Bucket: harness.bucket,
          Key: String(call.input.Key),
          UploadId: String(call.input.UploadId),
        }),
      );
      return send();
    });
    const failed = await alice.request('POST', `/uploads/${doomedId}/complete`, {});
    stopLosing();
    expect([failed.status, failed.body.error?.details?.status]).toEqual([409, 'failed']);

    // A 500 whose error carries a presigned URL and the caller's token in its message.
    const release = hooks.use(async (call, send) => {
      if (call.command !== 'GetItemCommand') return send();
      throw Object.assign(new Error(`boom ${presignedUrl} Bearer ${alice.token}`), {
        name: 'WeirdFailure',
      });
    });
    const broken = await alice.request('GET', `/uploads/${id}`);
    release();
    expect(broken.status).toBe(500);

    // Assess: one line per request, with who, what, how it ended and how long it took.
    const logs = requestLogs();
    expect(logs.length).toBeGreaterThanOrEqual(20);
    for (const line of logs) {
      expect(line).toMatchObject({
        level: expect.stringMatching(/INFO|ERROR/),
        service: 'upload-api',
        userId: 'alice-observed',
        route: expect.any(String),
        outcome: expect.any(String),
        statusCode: expect.any(Number),
        durationMs: expect.any(Number),
      });
    }
    const outcomes = logs.map((l) => `${l.route}:${l.statusCode}:${l.outcome}`);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        'initiate:201:success',
        'initiate:200:success',
        'complete:200:success',
        'getUpload:404:SESSION_NOT_FOUND',
        'complete:409:INVALID_STATE',
        'getUpload:500:INTERNAL_ERROR',
      ]),
    );
    const sessionRoutes = logs.filter(
      (l) => !['initiate', 'listUploads'].includes(String(l.route)),
    );
    for (const line of sessionRoutes) expect(line.sessionId).toEqual(expect.any(String));

    // Nothing secret anywhere in what was printed, the 500's error included.
    const printed = output.join('');
    for (const secret of secrets) expect(printed).not.toContain(secret);
    expect(printed).not.toMatch(
      /X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Bearer (?!\[REDACTED\])/i,
    );
    // The 500 was logged with its error, scrubbed rather than dropped.
    const failure = logs.find((l) => l.statusCode === 500) as { error: { message: string } };
    expect(failure.error.message).toMatch(/^boom http:\/\/\S+\?\[REDACTED\] Bearer \[REDACTED\]$/);
  });

  it('counts initiated, completed, failed and cancelled uploads once each, and their bytes', () => {
    // Act: the traffic of the test above (replays included).
    const totals = metricTotals();

    // Assess
    expect(totals).toMatchObject({
      UploadsInitiated: 3,
      UploadsCompleted: 1,
      BytesCompleted: sizeCompleted,
      UploadsCancelled: 1,
      UploadsFailed: 1,
    });
    const namespaces = jsonLines()
      .flatMap(
        (l) =>
          (l._aws as { CloudWatchMetrics?: { Namespace: string }[] } | undefined)
            ?.CloudWatchMetrics ?? [],
      )
      .map((g) => g.Namespace);
    expect(new Set(namespaces)).toEqual(new Set(['UploadApiTest']));
  });

  it('counts sessions that expired unfinished, not cancelled ones cleaned up later', async () => {
    // Arrange
    const { handler } = (await import('../../functions/cleanup-expired.ts')) as {
      handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
    };
    const before = metricTotals().UploadsExpired ?? 0;
    const record = (status: string) =>
      streamRecord(
        sessionImage({
          id: randomUUID(),
          userId: 'alice-observed',
          key: `uploads/alice-observed/${randomUUID()}/x.bin`,
          uploadId: 'no-such-upload',
          status,
        }),
      );

    // Act
    await handler({ Records: [record('uploading'), record('initiated'), record('cancelled')] });

    // Assess
    expect((metricTotals().UploadsExpired ?? 0) - before).toBe(2);
  });
});
