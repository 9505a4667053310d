import { describe, expect, it } from 'vitest';
import type { UploadDeps } from '../../../../src/domain/deps.ts';
import { StorageUnavailableError } from '../../../../src/domain/errors.ts';
import { ConnectionGoneError } from '../../../../src/domain/live/errors.ts';
import { MIN_SEND_INTERVAL_MS, ProgressFolder } from '../../../../src/domain/live/fold.ts';
import { MemoryLiveConnections } from '../../../../src/domain/live/memory-connections.ts';
import type { ServerMessage } from '../../../../src/domain/live/messages.ts';
import type { LiveDeps } from '../../../../src/domain/live/ports.ts';
import {
  connect,
  disconnect,
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  pushChanges,
  receiveMessage,
} from '../../../../src/domain/live/use-cases.ts';
import type { SessionLedger } from '../../../../src/domain/ports.ts';
import type { UploadSession } from '../../../../src/domain/session.ts';
import { getProgress } from '../../../../src/domain/use-cases/get-progress.ts';
import { aSession } from '../../../support/session-fixture.ts';
import { fakeClock } from './fake-clock.ts';

function fixture() {
  const clock = fakeClock();
  const sessions = new Map<string, UploadSession>();
  let reads = 0;
  const ledger = {
    getSession: async (id: string) => {
      reads++;
      return sessions.get(id);
    },
  } as Partial<SessionLedger> as SessionLedger;
  const upload = { ledger, clock, sleep: clock.sleep } as unknown as UploadDeps;
  const sent: { connectionId: string; message: ServerMessage; at: number }[] = [];
  const gone = new Set<string>();
  const failing = new Set<string>();
  const connections = new MemoryLiveConnections();
  const deps: LiveDeps = {
    upload,
    connections,
    folder: new ProgressFolder(clock),
    sender: {
      send: async (connectionId, message) => {
        if (gone.has(connectionId)) throw new ConnectionGoneError(connectionId);
        if (failing.has(connectionId)) throw new Error('throttled');
        sent.push({ connectionId, message, at: clock.ms });
      },
    },
  };
  const open = async (connectionId: string, userId = 'alice') => {
    await connect(deps, { connectionId, userId, connectedAt: clock.now() });
    return { connectionId, userId };
  };
  const say = (c: { connectionId: string; userId: string }, body: unknown) =>
    receiveMessage(deps, { ...c, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const put = (overrides: Partial<UploadSession>) => {
    const session = aSession({ expiresAt: clock.ms / 1000 + 3600, ...overrides });
    sessions.set(session.id, session);
    return session;
  };
  return {
    clock,
    deps,
    sent,
    gone,
    failing,
    connections,
    open,
    say,
    put,
    reads: () => reads,
  };
}

describe('receiveMessage', () => {
  it('answers a subscribe with a snapshot: exactly the data of GET /progress', async () => {
    // Prepare
    const f = fixture();
    const session = f.put({ status: 'uploading', uploadedBytes: 5, chunksUploaded: 1 });
    const c = await f.open('c1');

    // Act
    const outcome = await f.say(c, { action: 'subscribe', sessionId: session.id });

    // Assess
    expect(outcome).toMatchObject({ action: 'subscribe', outcome: 'subscribed' });
    const data = await getProgress(f.deps.upload, { userId: 'alice', sessionId: session.id });
    expect(f.sent).toEqual([
      {
        connectionId: 'c1',
        message: { type: 'progress', sessionId: session.id, data },
        at: f.clock.ms,
      },
    ]);
    expect(await f.connections.listSubscribers(session.id, f.clock.now())).toHaveLength(1);
  });

  it("refuses another user's session as not found and keeps no subscription to it", async () => {
    // Prepare
    const f = fixture();
    const session = f.put({ userId: 'bob' });
    const c = await f.open('c1', 'alice');

    // Act
    await f.say(c, { action: 'subscribe', sessionId: session.id });
    await f.say(c, { action: 'subscribe', sessionId: 'no-such-session' });

    // Assess
    expect(f.sent.map((s) => s.message)).toEqual([
      {
        type: 'error',
        sessionId: session.id,
        error: { code: 'SESSION_NOT_FOUND', message: 'Upload session not found' },
      },
      {
        type: 'error',
        sessionId: 'no-such-session',
        error: { code: 'SESSION_NOT_FOUND', message: 'Upload session not found' },
      },
    ]);
    expect(await f.connections.listSubscribers(session.id, f.clock.now())).toEqual([]);
  });

  it('answers a malformed message with VALIDATION_ERROR and goes on serving the connection', async () => {
    // Prepare
    const f = fixture();
    const session = f.put({});
    const c = await f.open('c1');

    // Act
    const outcome = await f.say(c, '{"action":');
    await f.say(c, { action: 'subscribe', sessionId: session.id });

    // Assess
    expect(outcome.outcome).toBe('rejected');
    expect(f.sent.map((s) => s.message.type)).toEqual(['error', 'progress']);
    expect(f.sent[0]?.message).toMatchObject({ error: { code: 'VALIDATION_ERROR' } });
  });

  it(`lets a connection watch ${MAX_SUBSCRIPTIONS_PER_CONNECTION} sessions, no more`, async () => {
    // Prepare
    const f = fixture();
    const c = await f.open('c1');
    const ids = Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION + 1 }, (_, i) => `s-${i}`);
    for (const id of ids) f.put({ id });

    // Act
    for (const id of ids) await f.say(c, { action: 'subscribe', sessionId: id });

    // Assess
    const last = f.sent.at(-1)?.message;
    expect(f.sent.filter((s) => s.message.type === 'progress')).toHaveLength(100);
    expect(last).toMatchObject({
      type: 'error',
      sessionId: 's-100',
      error: { code: 'VALIDATION_ERROR' },
    });
  });

  it('stops pushing after unsubscribe', async () => {
    const f = fixture();
    const session = f.put({});
    const c = await f.open('c1');
    await f.say(c, { action: 'subscribe', sessionId: session.id });
    await f.say(c, { action: 'unsubscribe', sessionId: session.id });
    f.clock.advance(MIN_SEND_INTERVAL_MS);
    const report = await pushChanges(f.deps, [{ sessionId: session.id, terminal: false }]);
    expect(report.messages).toBe(0);
    expect(f.sent).toHaveLength(1);
  });

  it('tells the client a storage outage as STORAGE_UNAVAILABLE', async () => {
    const f = fixture();
    const c = await f.open('c1');
    f.deps.upload.ledger.getSession = async () => {
      throw new StorageUnavailableError('DynamoDB');
    };
    const outcome = await f.say(c, { action: 'subscribe', sessionId: 's1' });
    expect(outcome.outcome).toBe('rejected');
    expect(f.sent[0]?.message).toMatchObject({ error: { code: 'STORAGE_UNAVAILABLE' } });
  });
});

describe('connect and disconnect', () => {
  it('keeps a connection 3 hours at most and forgets its subscriptions on disconnect', async () => {
    const f = fixture();
    const session = f.put({});
    const c = await f.open('c1');
    expect((await f.connections.getConnection('c1'))?.expiresAt).toBe(f.clock.ms / 1000 + 3 * 3600);
    await f.say(c, { action: 'subscribe', sessionId: session.id });
    await disconnect(f.deps, { connectionId: 'c1' });
    expect(await f.connections.listSubscribers(session.id, f.clock.now())).toEqual([]);
    expect(f.connections.size).toBe(0);
  });
});

describe('pushChanges', () => {
  it('sends a burst of changes at most about 4 times a second, the last change included', async () => {
    // Prepare
    const f = fixture();
    const session = f.put({ status: 'uploading' });
    await f.say(await f.open('c1'), { action: 'subscribe', sessionId: session.id });
    f.sent.length = 0;
    const start = f.clock.ms;

    // Act: 40 records, one every 20 ms, each its own batch (pushChanges waits as it must)
    for (let i = 1; i <= 40; i++) {
      f.put({ ...session, uploadedBytes: i, chunksUploaded: i });
      await pushChanges(f.deps, [{ sessionId: session.id, terminal: false }]);
      f.clock.advance(20);
    }

    // Assess
    const seconds = (f.clock.ms - start) / 1000;
    expect(f.sent.length).toBeLessThanOrEqual(4 * seconds + 1);
    const gaps = f.sent.slice(1).map((s, i) => s.at - (f.sent[i]?.at ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(MIN_SEND_INTERVAL_MS);
    expect(f.sent.at(-1)?.message).toMatchObject({ data: { chunksUploaded: 40 } });
  });

  it('sends a terminal status at once, even right after another message', async () => {
    // Prepare
    const f = fixture();
    const session = f.put({ status: 'uploading' });
    await f.say(await f.open('c1'), { action: 'subscribe', sessionId: session.id });
    f.clock.advance(MIN_SEND_INTERVAL_MS);
    await pushChanges(f.deps, [{ sessionId: session.id, terminal: false }]);
    const before = f.clock.ms;

    // Act
    f.put({ ...session, status: 'cancelled' });
    await pushChanges(f.deps, [{ sessionId: session.id, terminal: true }]);

    // Assess
    expect(f.clock.ms).toBe(before);
    expect(f.sent.at(-1)).toMatchObject({ at: before, message: { data: { status: 'cancelled' } } });
  });

  it('folds the changes of one batch into one message per session', async () => {
    const f = fixture();
    const s1 = f.put({ id: 's1' });
    const s2 = f.put({ id: 's2' });
    const c = await f.open('c1');
    await f.say(c, { action: 'subscribe', sessionId: s1.id });
    await f.say(c, { action: 'subscribe', sessionId: s2.id });
    f.sent.length = 0;
    f.clock.advance(MIN_SEND_INTERVAL_MS);
    const change = (sessionId: string) => ({ sessionId, terminal: false });
    await pushChanges(f.deps, [change('s1'), change('s2'), change('s1'), change('s1')]);
    expect(f.sent.map((s) => s.message.sessionId)).toEqual(['s1', 's2']);
  });

  it('forgets connections found gone and still serves the others', async () => {
    // Prepare
    const f = fixture();
    const session = f.put({});
    await f.say(await f.open('c1'), { action: 'subscribe', sessionId: session.id });
    await f.say(await f.open('c2'), { action: 'subscribe', sessionId: session.id });
    await f.say(await f.open('c3'), { action: 'subscribe', sessionId: session.id });
    f.sent.length = 0;
    f.gone.add('c1');
    f.failing.add('c3');

    // Act
    const report = await pushChanges(f.deps, [{ sessionId: session.id, terminal: false }]);

    // Assess
    expect(report).toMatchObject({ sessions: 1, messages: 1, gone: 1 });
    expect(report.failures).toHaveLength(1);
    expect(f.sent.map((s) => s.connectionId)).toEqual(['c2']);
    expect(await f.connections.getConnection('c1')).toBeUndefined();
    const left = await f.connections.listSubscribers(session.id, f.clock.now());
    expect(left.map((s) => s.connectionId).sort()).toEqual(['c2', 'c3']);
  });

  it('reads no session that nobody watches', async () => {
    const f = fixture();
    f.put({});
    const report = await pushChanges(f.deps, [{ sessionId: 'session-1', terminal: false }]);
    expect(report).toMatchObject({ sessions: 1, messages: 0 });
    expect(f.reads()).toBe(0);
  });
});
