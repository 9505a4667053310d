import { randomUUID } from 'node:crypto';
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTable } from '../../../local/bootstrap.ts';
import { createDocumentClient } from '../../../src/adapters/aws-clients.ts';
import { DynamoLiveConnections, liveKeys } from '../../../src/adapters/dynamo-live-connections.ts';
import { DynamoSessionLedger } from '../../../src/adapters/dynamo-session-ledger.ts';
import { MemoryLiveConnections } from '../../../src/domain/live/memory-connections.ts';
import { aSession } from '../../support/session-fixture.ts';
import { describeLiveConnectionsContract } from './live-connections-contract.ts';

const aws = { region: process.env.AWS_REGION ?? 'us-east-1', endpoint: inject('dynamodbEndpoint') };
const table = `live-test-${randomUUID().slice(0, 8)}`;
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  await ensureTable(new DynamoDBClient(aws), table);
  db = createDocumentClient(aws) as DynamoDBDocumentClient;
});

describeLiveConnectionsContract('DynamoDB (moto)', () => new DynamoLiveConnections(db, table));
describeLiveConnectionsContract('in memory', () => new MemoryLiveConnections());

describe('DynamoLiveConnections items', () => {
  const expiresAt = Math.floor(Date.now() / 1000) + 3 * 3600;

  it('stores connections and subscriptions with the TTL attribute of the table', async () => {
    // Prepare
    const connections = new DynamoLiveConnections(db, table);
    const connectionId = `c-${randomUUID()}`;
    const sessionId = randomUUID();

    // Act
    await connections.putConnection({ connectionId, userId: 'alice', expiresAt });
    await connections.addSubscription({ connectionId, sessionId, max: 100 });

    // Assess
    const ttl = await new DynamoDBClient(aws).send(
      new DescribeTimeToLiveCommand({ TableName: table }),
    );
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('expiresAt');
    const get = (Key: Record<string, string>) =>
      db.send(new GetCommand({ TableName: table, Key })).then((out) => out.Item);
    expect(await get(liveKeys.connection(connectionId))).toEqual({
      PK: `LIVE#${connectionId}`,
      SK: 'CONN',
      entity: 'live-connection',
      connectionId,
      userId: 'alice',
      expiresAt,
      sessions: new Set([sessionId]),
    });
    expect(await get(liveKeys.subscription(sessionId, connectionId))).toEqual({
      PK: `LIVESUB#${sessionId}`,
      SK: `CONN#${connectionId}`,
      entity: 'live-subscription',
      sessionId,
      connectionId,
      userId: 'alice',
      expiresAt,
    });
  });

  it("never shows up in a session's own items", async () => {
    // Prepare: a session with a recorded chunk, watched by a connection
    const ledger = new DynamoSessionLedger(db, table);
    const now = new Date();
    const session = aSession({
      id: randomUUID(),
      userId: `alice-${randomUUID()}`,
      status: 'uploading',
      expiresAt: Math.floor(now.getTime() / 1000) + 3600,
    });
    await ledger.createSession({
      session,
      liveSlots: { recorded: false, sessions: {} },
      endedSlots: [],
      maxLiveSessions: 20,
    });
    await ledger.recordChunks(session, [{ chunkNumber: 0, size: 5, etag: '"e0"' }], now, 'keep');
    const connections = new DynamoLiveConnections(db, table);
    const connectionId = `c-${randomUUID()}`;
    await connections.putConnection({ connectionId, userId: session.userId, expiresAt });

    // Act
    await connections.addSubscription({ connectionId, sessionId: session.id, max: 100 });

    // Assess: the session's partition holds the session and its chunk page only
    const partition = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `SESSION#${session.id}` },
      }),
    );
    expect(partition.Items?.map((i) => i.SK)).toEqual(['CHUNKS#0000', 'SESSION']);
    expect((await ledger.readChunks(session.id)).size).toBe(1);
    expect(await ledger.getSession(session.id)).toMatchObject({ chunksUploaded: 1 });
  });
});
