import { randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { UploadDeps } from '../../src/domain/deps.ts';
import { type ApiClient, sha256 } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { type Hold, holdAt, on, sessionItem, WRITE } from '../support/race-kit.ts';
import {
  gate,
  hookHandlers,
  type SdkCall,
  type SdkHooks,
  serviceError,
} from '../support/sdk-hooks.ts';

/**
 * Completes racing each other, each forced into one exact interleaving: every request must answer
 * the winner's 200 body (or COMPLETION_IN_PROGRESS), and only the request whose ledger write
 * landed reports the outcome and frees the slot.
 */
let harness: Harness;
let alice: ApiClient;
let hooks: SdkHooks;
let deps: UploadDeps;

beforeAll(async () => {
  harness = await startHarness();
  hooks = await hookHandlers();
  // The module instance the in-process handlers use: lets the tests watch the reported events.
  ({ deps } = await import('../../functions/commons/dependencies.ts'));
  alice = await harness.as('alice');
});
afterEach(() => {
  hooks.clear();
  vi.restoreAllMocks();
});
afterAll(() => harness?.close());

const complete = (id: string) => alice.request('POST', `/uploads/${id}/complete`);
const assemblies = () =>
  hooks.calls.filter((call) => call.command === 'CompleteMultipartUploadCommand').length;

/** A session of one small chunk, in storage; `recorded` says whether the ledger knows it yet. */
async function oneChunkSession(recorded: boolean) {
  const bytes = randomBytes(1000);
  const init = await alice.initiate({ fileName: 'race.bin', fileSize: bytes.length });
  expect(init.status).toBe(201);
  const session = init.body.data;
  const etag = await alice.putChunk(session.id, 0, bytes);
  const recordBody = { etag, checksumSha256: sha256(bytes) };
  if (recorded) expect((await alice.record(session.id, 0, recordBody)).status).toBe(200);
  return session;
}

interface HoldPoint {
  readonly matches: (call: SdkCall) => boolean;
  readonly when?: 'before' | 'after';
}

/** Like race-kit's holdAt, for several calls at once (a test process has one hook at a time). */
function holdEach(...points: HoldPoint[]): Hold[] {
  const holds = points.map((point) => ({
    ...point,
    taken: false,
    reached: gate(),
    released: gate(),
  }));
  hooks.use(async (call, send) => {
    const hold = holds.find((h) => !h.taken && h.matches(call));
    if (!hold) return send();
    hold.taken = true;
    if (hold.when !== 'after') {
      hold.reached.open();
      await hold.released.opened;
      return send();
    }
    try {
      return await send();
    } finally {
      hold.reached.open();
      await hold.released.opened;
    }
  });
  return holds.map((h) => ({ reached: h.reached.opened, release: h.released.open }));
}

/** Moves the running completion's start ten minutes back: the next complete takes it over. */
async function makeCompletionStale(sessionId: string) {
  await harness.db.send(
    new UpdateCommand({
      TableName: harness.table,
      Key: { PK: `SESSION#${sessionId}`, SK: 'SESSION' },
      UpdateExpression: 'SET completingSince = :then',
      ExpressionAttributeValues: { ':then': new Date(Date.now() - 600_000).toISOString() },
    }),
  );
}

describe('a complete that read the session open while another completed it', () => {
  it('held before it lists the parts until the other finished: the same 200 body', async () => {
    // Prepare
    const session = await oneChunkSession(true);
    const listing = holdAt(hooks, on.s3('ListPartsCommand', session.key));

    // Act
    const late = complete(session.id);
    await listing.reached;
    const won = await complete(session.id);
    listing.release();
    const lost = await late;

    // Assess: the late one found the upload gone (NoSuchUpload) and answered with the result.
    expect(won.status).toBe(200);
    expect(lost.status).toBe(200);
    expect(lost.body).toEqual(won.body);
    expect((await sessionItem(harness, session.id))?.file).toEqual(won.body.data);
    expect(assemblies()).toBe(1);
  });

  it('listing after the object was assembled but before it was recorded: waits, the same 200 body', async () => {
    // Prepare
    const session = await oneChunkSession(true);
    let listed = false;
    const [listing, finishing, reading] = holdEach(
      { matches: on.s3('ListPartsCommand', session.key) },
      { matches: on.sessionUpdate(session.id, WRITE.finishCompletion) },
      { matches: (call) => listed && on.sessionRead(session.id)(call), when: 'after' },
    ) as [Hold, Hold, Hold];

    // Act
    const late = complete(session.id);
    await listing.reached;
    const winning = complete(session.id);
    await finishing.reached;
    listed = true;
    listing.release();
    await reading.reached; // the late one found the upload gone and read `completing`
    finishing.release();
    const won = await winning;
    reading.release();
    const lost = await late;

    // Assess
    expect(won.status).toBe(200);
    expect(lost.status).toBe(200);
    expect(lost.body).toEqual(won.body);
    expect(assemblies()).toBe(1);
  });

  it('held after reading the recorded chunks while the other completed: the same 200 body', async () => {
    // Prepare: the late one has read the ledger and is about to list the parts.
    const session = await oneChunkSession(true);
    const reading = holdAt(
      hooks,
      (call) =>
        call.command === 'QueryCommand' &&
        JSON.stringify(call.input).includes(`SESSION#${session.id}`),
      'after',
    );

    // Act
    const late = complete(session.id);
    await reading.reached;
    const won = await complete(session.id);
    reading.release();
    const lost = await late;

    // Assess
    expect(won.status).toBe(200);
    expect(lost.status).toBe(200);
    expect(lost.body).toEqual(won.body);
    expect(assemblies()).toBe(1);
  });
});

describe('a completer taken over as stale', () => {
  it('whose result write lands late: it loses, answers the winner’s body and reports nothing', async () => {
    // Prepare: the first completer assembled the object and is about to record it.
    const session = await oneChunkSession(true);
    const completed = vi.spyOn(deps.events, 'completed');
    const released = vi.spyOn(deps.ledger, 'releaseLiveSlot');
    const finishing = holdAt(hooks, on.sessionUpdate(session.id, WRITE.finishCompletion));
    const first = complete(session.id);
    await finishing.reached;
    await makeCompletionStale(session.id);

    // Act
    const takenOver = await complete(session.id);
    finishing.release();
    const late = await first;

    // Assess
    expect(takenOver.status).toBe(200);
    expect(late.status).toBe(200);
    expect(late.body).toEqual(takenOver.body);
    expect((await sessionItem(harness, session.id))?.file).toEqual(takenOver.body.data);
    expect(completed).toHaveBeenCalledTimes(1);
    expect(released.mock.calls.filter(([, id]) => id === session.id)).toHaveLength(1);
  });

  it('whose assembly then fails transiently: its hand-back loses, it answers the winner’s body', async () => {
    // Prepare: the first completer's CompleteMultipartUpload is held, then fails with a 503.
    const session = await oneChunkSession(true);
    const reached = gate();
    const released = gate();
    let taken = false;
    hooks.use(async (call, send) => {
      if (taken || !on.s3('CompleteMultipartUploadCommand', session.key)(call)) return send();
      taken = true;
      reached.open();
      await released.opened;
      throw serviceError('ServiceUnavailable', 503);
    });
    const first = complete(session.id);
    await reached.opened;
    await makeCompletionStale(session.id);

    // Act
    const takenOver = await complete(session.id);
    released.open();
    const late = await first;

    // Assess
    expect(takenOver.status).toBe(200);
    expect(late.status).toBe(200);
    expect(late.body).toEqual(takenOver.body);
    const item = await sessionItem(harness, session.id);
    expect(item).toMatchObject({ status: 'uploaded', file: takenOver.body.data });
  });
});
