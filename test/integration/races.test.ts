import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_RETRY, retryDelay } from '../../client/sdk/retry.ts';
import type { UploadDeps } from '../../src/domain/deps.ts';
import { type ApiClient, sha256Hex } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { chunkSet } from '../support/race-kit.ts';

const MIB = 1024 * 1024;
let harness: Harness;
let alice: ApiClient;

let deps: UploadDeps;

beforeAll(async () => {
  harness = await startHarness();
  // The same module instance the in-process server's handlers use: lets the test count storage calls.
  ({ deps } = await import('../../functions/commons/dependencies.ts'));
  alice = await harness.as('alice');
});
afterAll(() => harness?.close());

async function sessionItem(id: string) {
  const out = await harness.db.send(
    new GetCommand({ TableName: harness.table, Key: { PK: `SESSION#${id}`, SK: 'SESSION' } }),
  );
  return out.Item as Record<string, unknown>;
}

describe('concurrent chunk records', () => {
  it('50 parallel records on one session lose no bit and count every byte once', async () => {
    // Prepare: 50 parts already in storage (written with the SDK to keep the test fast).
    const chunkSize = 5 * MIB;
    const part = randomBytes(chunkSize);
    const fileSize = 50 * chunkSize;
    const { body } = await alice.initiate({ fileName: 'fifty.bin', fileSize, checksum: 'NONE' });
    const session = body.data;
    const item = await sessionItem(session.id);
    const etags = await Promise.all(
      Array.from({ length: 50 }, async (_, n) => {
        const out = await harness.s3.send(
          new UploadPartCommand({
            Bucket: harness.bucket,
            Key: session.key,
            UploadId: item.uploadId as string,
            PartNumber: n + 1,
            Body: part,
          }),
        );
        return out.ETag as string;
      }),
    );

    // Act: record all 50 at once, plus 10 duplicates racing them.
    const calls = [
      ...etags.map((etag, n) => ({ n, etag })),
      ...etags.slice(0, 10).map((etag, n) => ({ n, etag })),
    ];
    // A 503 (STORAGE_UNAVAILABLE: the emulator's DynamoDB answered too late under a loaded
    // machine) is retried with the SDK's own policy, as the contract tells clients to; every
    // other answer counts as is.
    const recordRetrying = async (n: number, etag: string) => {
      for (let attempt = 0; ; attempt++) {
        const answer = await alice.record(session.id, n, { etag });
        if (answer.status !== 503 || attempt === DEFAULT_RETRY.retries) return answer;
        await sleep(retryDelay(attempt, answer.headers.get('retry-after'), DEFAULT_RETRY));
      }
    };
    const answers = await Promise.all(calls.map(({ n, etag }) => recordRetrying(n, etag)));

    // Assess
    expect(answers.filter((a) => a.status !== 200).map((a) => a.body)).toEqual([]);
    const stored = await sessionItem(session.id);
    expect(await chunkSet(harness, session.id)).toHaveLength(50);
    expect(stored.uploadedBytes).toBe(fileSize);
    expect(stored.chunksUploaded).toBe(50);
    const counts = answers.map((a) => a.body.data.chunksUploaded as number);
    // Answers carry the totals of their moment: a duplicate, or an add the SDK retried after its
    // answer was lost, reports the totals it read, so which call carries which total is not fixed.
    expect(Math.max(...counts)).toBe(50);
    expect(counts.every((c) => c >= 1 && c <= 50)).toBe(true);
  });
});

describe('racing completes', () => {
  it('10 concurrent completes assemble the object once and all get the same answer', async () => {
    const source = randomBytes(5 * MIB + 777);
    const { body } = await alice.initiate({ fileName: 'race.bin', fileSize: source.length });
    await alice.sendChunk(body.data.id, 0, source.subarray(0, 5 * MIB));
    await alice.sendChunk(body.data.id, 1, source.subarray(5 * MIB));

    const assemble = vi.spyOn(deps.storage, 'completeMultipartUpload');

    const answers = await Promise.all(
      Array.from({ length: 10 }, () => alice.request('POST', `/uploads/${body.data.id}/complete`)),
    );

    expect(assemble).toHaveBeenCalledTimes(1);
    assemble.mockRestore();
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const first = answers[0]?.body;
    for (const answer of answers) expect(answer.body).toEqual(first);
    expect(first.data).toMatchObject({ status: 'uploaded', size: source.length });
    const stored = await sessionItem(body.data.id);
    expect(stored.status).toBe('uploaded');
    expect(stored.file).toEqual(first.data);
    expect(sha256Hex(await alice.download(body.data.id))).toBe(sha256Hex(source));
  });

  it('complete and cancel racing: exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      const { body } = await alice.initiate({
        fileName: `cc-${round}.bin`,
        fileSize: 10,
        checksum: 'NONE',
      });
      await alice.sendChunk(body.data.id, 0, randomBytes(10), false);
      const [complete, cancel] = await Promise.all([
        alice.request('POST', `/uploads/${body.data.id}/complete`),
        alice.request('DELETE', `/uploads/${body.data.id}`),
      ]);
      const stored = await sessionItem(body.data.id);
      if (complete.status === 200) {
        expect(cancel.status).toBe(409);
        expect(stored.status).toBe('uploaded');
      } else {
        expect(cancel.status).toBe(200);
        expect(complete.body.error.code).toBe('SESSION_CANCELLED');
        expect(stored.status).toBe('cancelled');
      }
    }
  });

  it('a completion abandoned by a crashed request is taken over once it is stale', async () => {
    const source = randomBytes(2048);
    const { body } = await alice.initiate({
      fileName: 'crashed.bin',
      fileSize: source.length,
      checksum: 'NONE',
    });
    await alice.sendChunk(body.data.id, 0, source, false);
    // A request won the completion 10 minutes ago and died before finishing.
    await harness.db.send(
      new UpdateCommand({
        TableName: harness.table,
        Key: { PK: `SESSION#${body.data.id}`, SK: 'SESSION' },
        UpdateExpression: 'SET #s = :c, completingSince = :then, completionToken = :t',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':c': 'completing',
          ':then': new Date(Date.now() - 600_000).toISOString(),
          ':t': 'dead-request',
        },
      }),
    );

    const completed = await alice.request('POST', `/uploads/${body.data.id}/complete`);

    expect(completed.status).toBe(200);
    expect((await sessionItem(body.data.id)).status).toBe('uploaded');
    expect(sha256Hex(await alice.download(body.data.id))).toBe(sha256Hex(source));
  });
});
