import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import {
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  inject,
  it,
  type MockInstance,
  vi,
} from 'vitest';
import { ensureBucket } from '../../../local/bootstrap.ts';
import { createS3Client } from '../../../src/adapters/aws-clients.ts';
import { sessionImage, streamRecord } from '../../support/dynamodb-stream.ts';

type Handler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

const endpoint = inject('s3Endpoint');
const region = process.env.AWS_REGION ?? 'us-east-1';
const bucket = `cleanup-test-${randomUUID().slice(0, 8)}`;
let s3: S3Client;
let handler: Handler;
/** The log lines at INFO, kept off the test output. */
let info: MockInstance<typeof console.info>;

/** The handler reads its environment once, at import, like a Lambda cold start. */
async function coldStart(env: Record<string, string | undefined>): Promise<Handler> {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  vi.resetModules();
  return (await import('../../../functions/cleanup-expired.ts')).handler;
}

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  s3 = createS3Client({ region, endpoint });
  await ensureBucket(s3, bucket);
  handler = await coldStart({
    AWS_REGION: region,
    UPLOADS_BUCKET: bucket,
    AWS_ENDPOINT_URL_S3: endpoint,
    // Dev mode logs through the global console, where a spy can read the lines.
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
});
beforeEach(() => {
  info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

/** A real multipart upload holding one part, as a session mid-upload has. */
async function openUpload(userId: string) {
  const id = randomUUID();
  const key = `uploads/${userId}/${id}/video.mp4`;
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const uploadId = created.UploadId as string;
  const part = await s3.send(
    new UploadPartCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: 1,
      Body: 'hello world!',
    }),
  );
  return { id, userId, key, uploadId, etag: part.ETag as string };
}

/** Completes the upload straight in storage, as a completion does before its ledger write. */
const assemble = (upload: Awaited<ReturnType<typeof openUpload>>) =>
  s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: upload.key,
      UploadId: upload.uploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: upload.etag }] },
    }),
  );

const listParts = (key: string, uploadId: string) =>
  s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));

async function openUploadIds(): Promise<string[]> {
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (out.Uploads ?? []).map((u) => u.UploadId ?? '');
}

const invoke = (records: DynamoDBRecord[]) => handler({ Records: records });

describe('cleanup of sessions deleted by TTL', () => {
  it('aborts the multipart upload of an expired session and logs one line without secrets', async () => {
    // Prepare
    const upload = await openUpload('alice');
    const record = streamRecord(sessionImage({ ...upload, status: 'uploading' }));

    // Act
    const result = await invoke([record]);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    await expect(listParts(upload.key, upload.uploadId)).rejects.toMatchObject({
      name: 'NoSuchUpload',
    });
    expect(await openUploadIds()).not.toContain(upload.uploadId);
    expect(info).toHaveBeenCalledTimes(1);
    const line = String(info.mock.calls[0]?.[0]);
    expect(JSON.parse(line)).toMatchObject({
      level: 'INFO',
      message: 'expired session cleaned up',
      sessionId: upload.id,
      userId: 'alice',
      status: 'uploading',
      outcome: 'aborted',
    });
    for (const secret of [upload.key, upload.uploadId, 'secret-completion-token']) {
      expect(line).not.toContain(secret);
    }
  });

  it('is idempotent: the same record again reports no failure', async () => {
    // Prepare
    const upload = await openUpload('bob');
    const record = streamRecord(sessionImage({ ...upload, status: 'initiated' }));
    await invoke([record]);

    // Act
    const again = await invoke([record]);

    // Assess
    expect(again).toEqual({ batchItemFailures: [] });
    await expect(listParts(upload.key, upload.uploadId)).rejects.toMatchObject({
      name: 'NoSuchUpload',
    });
  });

  it('leaves the upload of a user-initiated delete intact, in a batch with a TTL delete', async () => {
    // Prepare
    const deletedByUser = await openUpload('carol');
    const expired = await openUpload('carol');
    const records = [
      streamRecord(sessionImage({ ...deletedByUser, status: 'uploading' }), { userIdentity: null }),
      streamRecord(sessionImage({ ...expired, status: 'uploading' })),
    ];

    // Act
    const result = await invoke(records);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    const parts = await listParts(deletedByUser.key, deletedByUser.uploadId);
    expect(parts.Parts?.map((p) => [p.PartNumber, p.ETag])).toEqual([[1, deletedByUser.etag]]);
    expect(await openUploadIds()).toContain(deletedByUser.uploadId);
    await expect(listParts(expired.key, expired.uploadId)).rejects.toMatchObject({
      name: 'NoSuchUpload',
    });
  });

  it.each(['uploaded', 'deleted'])(
    "deletes a %s session's object with its expired record, idempotently",
    async (status) => {
      // Prepare: a retention was configured, so the file's record expired.
      const upload = await openUpload('dave');
      await assemble(upload);
      const record = streamRecord(sessionImage({ ...upload, status }));

      // Act
      const result = await invoke([record]);
      const again = await invoke([record]);

      // Assess
      expect(result).toEqual({ batchItemFailures: [] });
      expect(again).toEqual({ batchItemFailures: [] });
      await expect(
        s3.send(new HeadObjectCommand({ Bucket: bucket, Key: upload.key })),
      ).rejects.toMatchObject({ name: 'NotFound' });
      expect(JSON.parse(String(info.mock.calls[0]?.[0]))).toMatchObject({
        message: 'expired session cleaned up',
        sessionId: upload.id,
        status,
        outcome: 'deleted-file',
      });
    },
  );

  it('deletes an object a completion assembled but never recorded before the session expired', async () => {
    // Prepare: storage assembled the object, the ledger still says uploading.
    const upload = await openUpload('frank');
    await assemble(upload);
    const record = streamRecord(sessionImage({ ...upload, status: 'uploading' }));

    // Act
    const result = await invoke([record]);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: upload.key })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });
});

describe('when storage is unreachable', () => {
  it('reports only the records whose release failed, for Lambda to retry', async () => {
    // Prepare
    const upload = await openUpload('erin');
    const abortable = streamRecord(sessionImage({ ...upload, status: 'uploading' }));
    const uploaded = streamRecord(sessionImage({ ...upload, status: 'uploaded' }));
    const userDelete = streamRecord(sessionImage({ ...upload, status: 'uploading' }), {
      userIdentity: null,
    });
    const offline = await coldStart({
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${await closedPort()}`,
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);

    try {
      // Act
      const result = await offline({ Records: [uploaded, abortable, userDelete] });

      // Assess
      expect(result).toEqual({
        batchItemFailures: [
          { itemIdentifier: uploaded.dynamodb?.SequenceNumber },
          { itemIdentifier: abortable.dynamodb?.SequenceNumber },
        ],
      });
      expect(await openUploadIds()).toContain(upload.uploadId);
      expect(JSON.parse(String(warn.mock.calls[0]?.[0]))).toMatchObject({
        sessionId: upload.id,
        outcome: 'retry',
        error: { name: 'StorageUnavailableError' },
      });
    } finally {
      await coldStart({ AWS_ENDPOINT_URL_S3: endpoint });
    }
  });

  it('fails the cold start naming a missing bucket variable', async () => {
    try {
      // Act
      const started = coldStart({ UPLOADS_BUCKET: undefined });

      // Assess
      await expect(started).rejects.toMatchObject({
        name: 'ConfigError',
        message: expect.stringContaining('UPLOADS_BUCKET'),
      });
    } finally {
      process.env.UPLOADS_BUCKET = bucket;
    }
  });
});

/** A loopback port nothing listens on: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 1;
}
