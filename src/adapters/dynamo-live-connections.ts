import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { StorageUnavailableError } from '../domain/errors.ts';
import { isTerminalStatus, type SessionChange } from '../domain/live/fold.ts';
import type {
  LiveConnection,
  LiveConnections,
  LiveSubscriber,
  SubscribeOutcome,
} from '../domain/live/ports.ts';
import { epochSeconds } from '../domain/session.ts';
import { translateDynamoError } from './sdk-errors.ts';
import { keys as sessionKeys } from './session-item.ts';

/**
 * Live connections in the single table, next to (never inside) the sessions' partitions:
 * - the connection, `LIVE#<connectionId>` / `CONN`: its user, its TTL and `sessions`, the string
 *   set of sessions it watches (what bounds a connection to 100 and what $disconnect deletes);
 * - one item per subscription, `LIVESUB#<sessionId>` / `CONN#<connectionId>`, so that the
 *   subscribers of a session are one Query.
 * Both carry `expiresAt` (epoch seconds), the table's TTL attribute, and an `entity` that is not
 * `session`, so neither the cleanup stream filter nor any session read ever sees them.
 */
export const liveKeys = {
  connection: (connectionId: string) => ({ PK: `LIVE#${connectionId}`, SK: 'CONN' }),
  subscription: (sessionId: string, connectionId: string) => ({
    PK: `${SUBSCRIBERS_PREFIX}${sessionId}`,
    SK: `CONN#${connectionId}`,
  }),
};

const SUBSCRIBERS_PREFIX = 'LIVESUB#';
/** BatchWriteItem takes 25 requests at most. */
const BATCH_SIZE = 25;
const BATCH_ATTEMPTS = 5;

export class DynamoLiveConnections implements LiveConnections {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async putConnection(connection: LiveConnection): Promise<void> {
    await this.call(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...liveKeys.connection(connection.connectionId),
            entity: ENTITY.connection,
            ...connection,
          },
        }),
      ),
    );
  }

  async getConnection(connectionId: string): Promise<LiveConnection | undefined> {
    const item = await this.connectionItem(connectionId);
    if (item?.entity !== ENTITY.connection) return undefined;
    return {
      connectionId,
      userId: item.userId as string,
      expiresAt: item.expiresAt as number,
    };
  }

  /**
   * The connection's set takes the session first, conditionally (the connection exists and
   * watches fewer than `max` other sessions), then the subscription item is written with the
   * connection's user and TTL. A subscription item whose connection was deleted in between is
   * found gone by the next push and removed then, or by TTL.
   */
  async addSubscription(input: {
    connectionId: string;
    sessionId: string;
    max: number;
  }): Promise<SubscribeOutcome> {
    let connection: Record<string, unknown> | undefined;
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: liveKeys.connection(input.connectionId),
          UpdateExpression: 'ADD sessions :session',
          ConditionExpression:
            'entity = :connection AND (attribute_not_exists(sessions) OR size(sessions) < :max OR contains(sessions, :id))',
          ExpressionAttributeValues: {
            ':session': new Set([input.sessionId]),
            ':connection': ENTITY.connection,
            ':max': input.max,
            ':id': input.sessionId,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      connection = out.Attributes;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') {
        return translateDynamoError(error);
      }
      return (await this.getConnection(input.connectionId)) ? 'limit' : 'gone';
    }
    await this.call(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...liveKeys.subscription(input.sessionId, input.connectionId),
            entity: ENTITY.subscription,
            sessionId: input.sessionId,
            connectionId: input.connectionId,
            userId: connection?.userId,
            expiresAt: connection?.expiresAt,
          },
        }),
      ),
    );
    return 'subscribed';
  }

  async removeSubscription(connectionId: string, sessionId: string): Promise<void> {
    await Promise.all([
      this.dropFromConnection(connectionId, sessionId),
      this.call(() =>
        this.db.send(
          new DeleteCommand({
            TableName: this.table,
            Key: liveKeys.subscription(sessionId, connectionId),
          }),
        ),
      ),
    ]);
  }

  async listSubscribers(sessionId: string, now: Date): Promise<LiveSubscriber[]> {
    const subscribers: LiveSubscriber[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.call(() =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'PK = :pk',
            // TTL deletes expired items within days, not at once.
            FilterExpression: 'expiresAt > :now',
            ExpressionAttributeValues: {
              ':pk': `${SUBSCRIBERS_PREFIX}${sessionId}`,
              ':now': epochSeconds(now),
            },
            // A subscription stored just before a change must be found by that change's push.
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of out.Items ?? []) {
        subscribers.push({
          connectionId: item.connectionId as string,
          userId: item.userId as string,
        });
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return subscribers;
  }

  async deleteConnection(connectionId: string): Promise<void> {
    const item = await this.connectionItem(connectionId);
    if (!item) return;
    const sessions = [...((item.sessions as Set<string> | undefined) ?? [])];
    const deletes = sessions.map((sessionId) => liveKeys.subscription(sessionId, connectionId));
    for (let i = 0; i < deletes.length; i += BATCH_SIZE) {
      await this.deleteAll(deletes.slice(i, i + BATCH_SIZE));
    }
    await this.call(() =>
      this.db.send(
        new DeleteCommand({ TableName: this.table, Key: liveKeys.connection(connectionId) }),
      ),
    );
  }

  /** The connection's item as stored (strongly consistent), or undefined. */
  private async connectionItem(connectionId: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.call(() =>
      this.db.send(
        new GetCommand({
          TableName: this.table,
          Key: liveKeys.connection(connectionId),
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item;
  }

  private async dropFromConnection(connectionId: string, sessionId: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: liveKeys.connection(connectionId),
          UpdateExpression: 'DELETE sessions :session',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':session': new Set([sessionId]) },
        }),
      );
    } catch (error) {
      // No connection: nothing to drop.
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return;
      translateDynamoError(error);
    }
  }

  /** One BatchWriteItem of deletes, sending again what DynamoDB left unprocessed. */
  private async deleteAll(keys: readonly Record<string, string>[]): Promise<void> {
    let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      const out: BatchWriteCommandOutput = await this.call(() =>
        this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } })),
      );
      requests = (out.UnprocessedItems?.[this.table] ?? []) as typeof requests;
      if (requests.length === 0) return;
      if (attempt === BATCH_ATTEMPTS) throw new StorageUnavailableError('DynamoDB');
      await this.sleep(Math.random() * 50 * 2 ** attempt);
    }
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      return translateDynamoError(error);
    }
  }
}

const ENTITY = { connection: 'live-connection', subscription: 'live-subscription' } as const;

/** The parts of a DynamoDB stream record (Lambda's event or DynamoDB Streams' GetRecords) read here. */
export interface StreamRecordLike {
  readonly eventName?: string;
  readonly dynamodb?: {
    readonly Keys?: Readonly<Record<string, { readonly S?: string } | undefined>>;
    readonly NewImage?: Readonly<Record<string, { readonly S?: string } | undefined>>;
  };
}

const SESSION_KEY = sessionKeys.session('');

/**
 * The session changes in a batch of stream records, in order, one per session: writes (not
 * removals) of session items, terminal when the session's new status is. Chunk pages and every
 * other item are left out; the deployed event source filter lets only session writes through
 * (infra/upload-live.ts) and this applies the same rule wherever records come from.
 */
export function sessionChangesOf(records: readonly StreamRecordLike[]): SessionChange[] {
  const changes = new Map<string, SessionChange>();
  for (const record of records) {
    if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') continue;
    const pk = record.dynamodb?.Keys?.PK?.S;
    const sk = record.dynamodb?.Keys?.SK?.S;
    if (!pk?.startsWith(SESSION_KEY.PK) || sk !== SESSION_KEY.SK) continue;
    const sessionId = pk.slice(SESSION_KEY.PK.length);
    const status = record.dynamodb?.NewImage?.status?.S;
    const terminal = status !== undefined && isTerminalStatus(status);
    changes.set(sessionId, {
      sessionId,
      terminal: terminal || (changes.get(sessionId)?.terminal ?? false),
    });
  }
  return [...changes.values()];
}
