import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, sha256 } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';

let harness: Harness;
let alice: ApiClient;

beforeAll(async () => {
  harness = await startHarness();
  alice = await harness.as('alice');
});
afterAll(() => harness?.close());

describe('Idempotency-Key', () => {
  it('returns the existing session with 200 for the same key and body', async () => {
    const body = { fileName: 'idem.bin', fileSize: 10, checksum: 'NONE' };
    const first = await alice.initiate(body, { 'idempotency-key': 'key-1' });
    const second = await alice.initiate(body, { 'idempotency-key': 'key-1' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.data.id).toBe(first.body.data.id);
  });

  it('is 409 IDEMPOTENCY_KEY_REUSED with a different body', async () => {
    await alice.initiate({ fileName: 'a.bin', fileSize: 10 }, { 'idempotency-key': 'key-2' });
    const reused = await alice.initiate(
      { fileName: 'b.bin', fileSize: 10 },
      { 'idempotency-key': 'key-2' },
    );
    expect([reused.status, reused.body.error.code]).toEqual([409, 'IDEMPOTENCY_KEY_REUSED']);
  });

  it('keys are per user', async () => {
    const bob = await harness.as('bob');
    const a = await alice.initiate({ fileName: 'x', fileSize: 1 }, { 'idempotency-key': 'shared' });
    const b = await bob.initiate({ fileName: 'x', fileSize: 1 }, { 'idempotency-key': 'shared' });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.data.id).not.toBe(b.body.data.id);
  });

  it('two racing initiates with one key create one session', async () => {
    const body = { fileName: 'race.bin', fileSize: 10, checksum: 'NONE' };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => alice.initiate(body, { 'idempotency-key': 'racing-key' })),
    );
    const ids = new Set(answers.map((a) => a.body.data.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
  });
});

describe('same file again', () => {
  it('returns the live session for the same name, size and fileSha256, and a new one once it is finished', async () => {
    const bytes = randomBytes(32);
    const body = {
      fileName: 'same.bin',
      fileSize: 32,
      fileSha256: sha256(bytes),
      checksum: 'NONE',
    };
    const first = await alice.initiate(body);
    const again = await alice.initiate(body);
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.data.id).toBe(first.body.data.id);

    await alice.sendChunk(first.body.data.id, 0, bytes, false);
    expect((await alice.request('POST', `/uploads/${first.body.data.id}/complete`)).status).toBe(
      200,
    );
    const fresh = await alice.initiate(body);
    expect(fresh.status).toBe(201);
    expect(fresh.body.data.id).not.toBe(first.body.data.id);
  });
});
