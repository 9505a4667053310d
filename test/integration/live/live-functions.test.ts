import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type {
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { LiveEvent, LiveResult } from '../../../functions/live-dependencies.ts';
import { lambdaContext } from '../../../local/api-gateway-event.ts';
import { ensureTable } from '../../../local/bootstrap.ts';
import { createDocumentClient } from '../../../src/adapters/aws-clients.ts';
import { liveKeys } from '../../../src/adapters/dynamo-live-connections.ts';
import { DynamoSessionLedger } from '../../../src/adapters/dynamo-session-ledger.ts';
import { keys } from '../../../src/adapters/session-item.ts';
import type { UploadDeps } from '../../../src/domain/deps.ts';
import type { UploadSession } from '../../../src/domain/session.ts';
import { getProgress } from '../../../src/domain/use-cases/get-progress.ts';
import { imageOf, streamRecord } from '../../support/dynamodb-stream.ts';
import { aSession } from '../../support/session-fixture.ts';
import { startManagementApi } from './fake-management-api.ts';

type WsHandler = (event: LiveEvent, context: Context) => Promise<LiveResult>;
type PushHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

const MIB = 1024 * 1024;
const aws = { region: process.env.AWS_REGION ?? 'us-east-1', endpoint: inject('dynamodbEndpoint') };
const table = `live-fn-${randomUUID().slice(0, 8)}`;
let db: DynamoDBDocumentClient;
let ledger: DynamoSessionLedger;
let api: Awaited<ReturnType<typeof startManagementApi>>;
let handlers: {
  connect: WsHandler;
  disconnect: WsHandler;
  message: WsHandler;
  push: PushHandler;
};

beforeAll(async () => {
  api = await startManagementApi();
  Object.assign(process.env, {
    AWS_REGION: aws.region,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    UPLOADS_TABLE: table,
    UPLOADS_BUCKET: 'unused-by-live-functions',
    AWS_ENDPOINT_URL_DYNAMODB: aws.endpoint,
    LIVE_CALLBACK_URL: api.url,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  await ensureTable(new DynamoDBClient(aws), table);
  db = createDocumentClient(aws) as DynamoDBDocumentClient;
  ledger = new DynamoSessionLedger(db, table);
  // Each module reads its environment once, at import, like a Lambda cold start.
  vi.resetModules();
  handlers = {
    connect: (await import('../../../functions/live-connect.ts')).handler,
    disconnect: (await import('../../../functions/live-disconnect.ts')).handler,
    message: (await import('../../../functions/live-message.ts')).handler,
    push: (await import('../../../functions/live-push.ts')).handler,
  };
});
afterAll(() => api.close());

/** The event API Gateway gives a WebSocket route's function after the authorizer allowed it. */
function wsEvent(
  routeKey: string,
  connectionId: string,
  userId?: string,
  body?: string,
): LiveEvent {
  const eventType = { $connect: 'CONNECT', $disconnect: 'DISCONNECT' }[routeKey] ?? 'MESSAGE';
  return {
    requestContext: {
      routeKey,
      eventType: eventType as LiveEvent['requestContext']['eventType'],
      messageId: randomUUID(),
      extendedRequestId: randomUUID(),
      requestTime: new Date().toUTCString(),
      messageDirection: 'IN',
      stage: 'live',
      connectedAt: Date.now(),
      requestTimeEpoch: Date.now(),
      requestId: randomUUID(),
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      connectionId,
      apiId: 'abc123',
      ...(userId ? { authorizer: { principalId: userId, userId } } : {}),
    },
    isBase64Encoded: false,
    ...(body !== undefined ? { body } : {}),
  };
}

async function connected(userId: string): Promise<string> {
  const connectionId = `${randomUUID().slice(0, 12)}=`;
  const result = await handlers.connect(wsEvent('$connect', connectionId, userId), ctx());
  expect(result).toEqual({ statusCode: 200 });
  return connectionId;
}

const ctx = () => lambdaContext('live');

const say = (connectionId: string, userId: string, message: unknown) =>
  handlers.message(
    wsEvent(
      '$default',
      connectionId,
      userId,
      typeof message === 'string' ? message : JSON.stringify(message),
    ),
    ctx(),
  );

async function newSession(userId: string): Promise<UploadSession> {
  const session = aSession({
    id: randomUUID(),
    userId,
    fileSize: 40 * 5 * MIB,
    totalChunks: 40,
    createdAt: new Date().toISOString(),
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  });
  const outcome = await ledger.createSession({
    session,
    liveSlots: await ledger.readLiveSlots(userId),
    endedSlots: [],
    maxLiveSessions: 1000,
  });
  expect(outcome).toEqual({ kind: 'created' });
  return session;
}

/** The stream record of the item's current state, as DynamoDB Streams delivers a write of it. */
async function recordOf(key: Record<string, string>): Promise<DynamoDBRecord> {
  const out = await db.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
  if (!out.Item) throw new Error(`no item ${JSON.stringify(key)}`);
  return streamRecord(imageOf(out.Item), { eventName: 'MODIFY', userIdentity: null });
}

async function recordChunk(session: UploadSession, chunkNumber: number): Promise<DynamoDBRecord> {
  const entry = { chunkNumber, size: 5 * MIB, etag: `"etag-${chunkNumber}"` };
  await ledger.recordChunks(session, [entry], new Date(), 'keep');
  return recordOf(keys.session(session.id));
}

const push = (...records: DynamoDBRecord[]) => handlers.push({ Records: records });

/** What GET /progress answers for the session right now. */
const progressOf = (session: UploadSession) =>
  getProgress({ ledger, clock: { now: () => new Date() } } as unknown as UploadDeps, {
    userId: session.userId,
    sessionId: session.id,
  });

describe('live functions', () => {
  it('answers subscribe with a snapshot, then pushes each recorded change as GET /progress data', async () => {
    // Prepare
    const session = await newSession('alice');
    const c = await connected('alice');

    // Act
    await say(c, 'alice', { action: 'subscribe', sessionId: session.id });
    const snapshot = api.to(c).at(-1);
    const result = await push(await recordChunk(session, 0));

    // Assess
    expect(snapshot).toEqual({ type: 'progress', sessionId: session.id, data: expect.anything() });
    expect(snapshot?.data).toMatchObject({ chunksUploaded: 0, status: 'initiated' });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(api.to(c).at(-1)).toEqual({
      type: 'progress',
      sessionId: session.id,
      data: await progressOf(session),
    });
    expect(api.to(c).at(-1)?.data).toMatchObject({ chunksUploaded: 1, status: 'uploading' });
  });

  it("refuses another user's session and a malformed message, and the connection goes on", async () => {
    // Prepare
    const bobs = await newSession('bob');
    const alices = await newSession('alice');
    const c = await connected('alice');

    // Act
    await say(c, 'alice', { action: 'subscribe', sessionId: bobs.id });
    await say(c, 'alice', 'not json');
    await say(c, 'alice', { action: 'subscribe', sessionId: alices.id });
    await push(await recordChunk(bobs, 0));

    // Assess
    expect(api.to(c)).toEqual([
      {
        type: 'error',
        sessionId: bobs.id,
        error: { code: 'SESSION_NOT_FOUND', message: 'Upload session not found' },
      },
      { type: 'error', error: expect.objectContaining({ code: 'VALIDATION_ERROR' }) },
      { type: 'progress', sessionId: alices.id, data: await progressOf(alices) },
    ]);
  });

  it('sends a burst of records across invocations at most about 4 times a second, the last state included', async () => {
    // Prepare
    const session = await newSession('alice');
    const c = await connected('alice');
    await say(c, 'alice', { action: 'subscribe', sessionId: session.id });
    const before = api.to(c).length;

    // Act: one stream batch per recorded chunk, as fast as they come
    const started = performance.now();
    for (let chunk = 0; chunk < 12; chunk++) await push(await recordChunk(session, chunk));
    const seconds = (performance.now() - started) / 1000;

    // Assess
    const messages = api.to(c).slice(before);
    expect(messages.length).toBeLessThanOrEqual(4 * seconds + 2);
    expect(messages.at(-1)?.data).toMatchObject({ chunksUploaded: 12 });
  });

  it('pushes the terminal status right after another message (the unit tests time it)', async () => {
    // Prepare
    const session = await newSession('alice');
    const c = await connected('alice');
    await say(c, 'alice', { action: 'subscribe', sessionId: session.id });
    await push(await recordChunk(session, 0));

    // Act
    await ledger.cancel(session.id, new Date());
    await push(await recordOf(keys.session(session.id)));

    // Assess: sent by this very invocation
    expect(api.to(c).at(-1)?.data).toMatchObject({ status: 'cancelled' });
  });

  it('ignores chunk pages and live items', async () => {
    const session = await newSession('alice');
    const c = await connected('alice');
    await say(c, 'alice', { action: 'subscribe', sessionId: session.id });
    await ledger.recordChunks(
      session,
      [{ chunkNumber: 3, size: 1, etag: '"x"' }],
      new Date(),
      'keep',
    );
    const before = api.posted.length;
    const result = await push(
      await recordOf(keys.chunkPage(session.id, 0)),
      await recordOf(liveKeys.connection(c)),
      await recordOf(liveKeys.subscription(session.id, c)),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(api.posted.length).toBe(before);
  });

  it('forgets a connection API Gateway reports gone', async () => {
    // Prepare
    const session = await newSession('alice');
    const c = await connected('alice');
    await say(c, 'alice', { action: 'subscribe', sessionId: session.id });
    api.gone.add(c);

    // Act
    const result = await push(await recordChunk(session, 0));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    const get = (Key: Record<string, string>) =>
      db.send(new GetCommand({ TableName: table, Key, ConsistentRead: true }));
    expect((await get(liveKeys.connection(c))).Item).toBeUndefined();
    expect((await get(liveKeys.subscription(session.id, c))).Item).toBeUndefined();
  });

  it('asks Lambda to retry from the first record of a session whose push failed transiently', async () => {
    // Prepare
    const ok = await newSession('alice');
    const failing = await newSession('alice');
    const c1 = await connected('alice');
    const c2 = await connected('alice');
    await say(c1, 'alice', { action: 'subscribe', sessionId: ok.id });
    await say(c2, 'alice', { action: 'subscribe', sessionId: failing.id });
    api.failing.add(c2);
    const records = [
      await recordChunk(ok, 0),
      await recordChunk(failing, 0),
      await recordChunk(failing, 1),
    ];

    // Act
    const result = await push(...records);

    // Assess
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }],
    });
    expect(api.to(c1).at(-1)?.data).toMatchObject({ chunksUploaded: 1 });
  });

  it('forgets the connection and its subscriptions on $disconnect', async () => {
    const session = await newSession('alice');
    const c = await connected('alice');
    await say(c, 'alice', { action: 'subscribe', sessionId: session.id });
    expect(await handlers.disconnect(wsEvent('$disconnect', c, 'alice'), ctx())).toEqual({
      statusCode: 200,
    });
    const get = (Key: Record<string, string>) =>
      db.send(new GetCommand({ TableName: table, Key, ConsistentRead: true }));
    expect((await get(liveKeys.connection(c))).Item).toBeUndefined();
    expect((await get(liveKeys.subscription(session.id, c))).Item).toBeUndefined();
  });

  it('reads the user from the connection record when the event carries no authorizer context', async () => {
    const session = await newSession('alice');
    const c = await connected('alice');
    await handlers.message(
      wsEvent(
        '$default',
        c,
        undefined,
        JSON.stringify({ action: 'subscribe', sessionId: session.id }),
      ),
      ctx(),
    );
    expect(api.to(c).at(-1)).toMatchObject({ type: 'progress', sessionId: session.id });
  });
});
