import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_KEY_BYTES } from '../../src/domain/object-key.ts';
import { sha256 } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
});

const prefixOf = (key: string) => key.split('/').slice(0, 2).join('/');

describe('object keys of unusual subs', () => {
  it.each([
    ['a 170-character non-ASCII sub', `${'日本語'.repeat(56)}ü`, `${'日本語'.repeat(56)}ö`],
    ['a 2,000-character non-ASCII sub', `ü-${'日本語'.repeat(666)}`, `ü-${'日本語'.repeat(666)}x`],
    ['a lone surrogate sub', '\uD800', '\uDC00'],
  ])('%s initiates and completes an upload under a key S3 accepts', async (_case, sub, sibling) => {
    // Prepare
    const user = await harness.as(sub);
    const bytes = new TextEncoder().encode('hello');
    const fileName = `${'ж'.repeat(250)}.txt`;

    // Act
    const started = await user.initiate({ fileName, fileSize: bytes.length });
    expect(started.status).toBe(201);
    const { id, key } = started.body.data;
    const recorded = await user.sendChunk(id, 0, bytes);
    const done = await user.request('POST', `/uploads/${id}/complete`, {
      fileSha256: sha256(bytes),
    });
    const again = await user.initiate({ fileName: 'b.txt', fileSize: 1 });
    const other = await (await harness.as(sibling)).initiate({ fileName: 'b.txt', fileSize: 1 });

    // Assess
    expect(recorded.status).toBe(200);
    expect(done.status).toBe(200);
    expect(done.body.data.key).toBe(key);
    expect(Buffer.byteLength(key, 'utf8')).toBeLessThanOrEqual(MAX_KEY_BYTES);
    const head = await harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: key }));
    expect(head.ContentLength).toBe(bytes.length);
    expect(Buffer.from(await user.download(id)).toString()).toBe('hello');
    expect(prefixOf(again.body.data.key)).toBe(prefixOf(key));
    expect(prefixOf(other.body.data.key)).not.toBe(prefixOf(key));
  });
});
