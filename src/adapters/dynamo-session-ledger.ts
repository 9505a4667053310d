import { setTimeout as sleep } from 'node:timers/promises';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { StorageUnavailableError } from '../domain/errors.ts';
import type {
  ChunkEntry,
  CreateOutcome,
  LiveSlots,
  NewSessionWrite,
  OnChangedEntry,
  RecordOutcome,
  SessionLedger,
  SessionLookup,
} from '../domain/ports.ts';
import { epochSeconds, type FileRecord, type UploadSession } from '../domain/session.ts';
import { DynamoChunkPages } from './dynamo-chunk-pages.ts';
import { listSessionsPage } from './dynamo-session-list.ts';
import { lostTransaction, type TransactItem } from './dynamo-transaction.ts';
import { translateDynamoError } from './sdk-errors.ts';
import { fromSessionItem, keys, toSessionItem } from './session-item.ts';

/**
 * The live-slot record outlives its newest session by this much: concurrent initiates each set
 * the record's expiry from what they read, so a slightly earlier value may land last.
 */
const LIVE_RECORD_GRACE_SECONDS = 24 * 3600;
const CONFLICT_ATTEMPTS = 4;
const CONFLICT_BACKOFF_MS = 25;

const OPEN = { ':initiated': 'initiated', ':uploading': 'uploading' };
const IS_OPEN = '#status IN (:initiated, :uploading) AND expiresAt > :nowEpoch';

export class DynamoSessionLedger implements SessionLedger {
  private readonly chunks: DynamoChunkPages;

  /** `chunksPerPage` is fixed for the life of a table: only benchmarks set it. */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    options: { chunksPerPage?: number } = {},
  ) {
    this.chunks = new DynamoChunkPages(
      db,
      table,
      (id) => this.getSession(id),
      options.chunksPerPage,
    );
  }

  async getSession(id: string): Promise<UploadSession | undefined> {
    const out = await this.call(() =>
      this.db.send(
        new GetCommand({ TableName: this.table, Key: keys.session(id), ConsistentRead: true }),
      ),
    );
    return out.Item?.entity === 'session' ? fromSessionItem(out.Item) : undefined;
  }

  async readLiveSlots(userId: string): Promise<LiveSlots> {
    const out = await this.call(() =>
      this.db.send(
        new GetCommand({
          TableName: this.table,
          Key: keys.liveSlots(userId),
          ConsistentRead: true,
        }),
      ),
    );
    const sessions = out.Item?.sessions as Record<string, number> | undefined;
    return { recorded: sessions !== undefined, sessions: sessions ?? {} };
  }

  findByIdempotencyKey(userId: string, key: string): Promise<SessionLookup | undefined> {
    return this.lookup(keys.idempotency(userId, key));
  }

  findByFileAlias(userId: string, alias: string): Promise<SessionLookup | undefined> {
    return this.lookup(keys.fileAlias(userId, alias));
  }

  /**
   * One transaction: the session, its slot (taken only while the user's live-slot map has fewer
   * entries than the limit, so concurrent initiates and releases never invalidate each other) and
   * the idempotency / file-hash pointers (first writer wins).
   */
  async createSession(write: NewSessionWrite): Promise<CreateOutcome> {
    const { session } = write;
    await this.freeSlots(session.userId, write.endedSlots);
    const items: { kind: CreateOutcome['kind']; item: TransactItem }[] = [
      {
        kind: 'slots-changed',
        item: {
          Put: {
            TableName: this.table,
            Item: toSessionItem(session),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      },
      { kind: 'slots-changed', item: this.takeSlot(write) },
    ];
    if (write.idempotency) {
      const key = keys.idempotency(session.userId, write.idempotency.key);
      items.push({
        kind: 'idempotency-key-taken',
        item: this.pointerPut(key, session, write.idempotency.replacing),
      });
    }
    if (write.fileAlias) {
      const key = keys.fileAlias(session.userId, write.fileAlias.alias);
      items.push({
        kind: 'file-alias-taken',
        item: this.pointerPut(key, session, write.fileAlias.replacing),
      });
    }
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items.map((i) => i.item) }));
      return { kind: 'created' };
    } catch (error) {
      const codes = lostTransaction(error);
      if (!codes) return translateDynamoError(error);
      const failed = items
        .filter((_, i) => codes[i] === 'ConditionalCheckFailed')
        .map((i) => i.kind);
      return { kind: failed.find((k) => k !== 'slots-changed') ?? 'slots-changed' };
    }
  }

  releaseLiveSlot(userId: string, sessionId: string): Promise<void> {
    return this.freeSlots(userId, [sessionId]);
  }

  recordChunks(
    session: Pick<UploadSession, 'id' | 'expiresAt'>,
    chunks: readonly ChunkEntry[],
    now: Date,
    onChanged: OnChangedEntry,
  ): Promise<RecordOutcome> {
    return this.chunks.record(session, chunks, now, onChanged);
  }

  readChunks(sessionId: string): Promise<Map<number, ChunkEntry>> {
    return this.chunks.read(sessionId);
  }

  dropChunks(sessionId: string, chunks: readonly ChunkEntry[], now: Date): Promise<boolean> {
    return this.chunks.drop(sessionId, chunks, now);
  }

  async beginCompletion(
    sessionId: string,
    token: string,
    now: Date,
    staleBefore: Date,
    keepUntil: number,
  ): Promise<boolean> {
    const out = await this.conditionalUpdate({
      Key: keys.session(sessionId),
      UpdateExpression:
        'SET #status = :completing, completionToken = :token, completingSince = :now, updatedAt = :now, expiresAt = :keepUntil',
      ConditionExpression: `(${IS_OPEN}) OR (#status = :completing AND completingSince < :staleBefore)`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ...OPEN,
        ':completing': 'completing',
        ':token': token,
        ':now': now.toISOString(),
        ':nowEpoch': epochSeconds(now),
        ':staleBefore': staleBefore.toISOString(),
        ':keepUntil': keepUntil,
      },
      ReturnValues: 'UPDATED_NEW',
    });
    return out !== undefined;
  }

  async finishCompletion(
    sessionId: string,
    token: string,
    result: { file: FileRecord; expiresAt: number } | { error: string },
    now: Date,
  ): Promise<boolean> {
    const success = 'file' in result;
    const out = await this.conditionalUpdate({
      Key: keys.session(sessionId),
      UpdateExpression: success
        ? 'SET #status = :uploaded, #file = :file, expiresAt = :expiresAt, updatedAt = :now REMOVE completionToken, completingSince'
        : 'SET #status = :failed, #error = :error, updatedAt = :now REMOVE completionToken, completingSince',
      ConditionExpression: '#status = :completing AND completionToken = :token',
      ExpressionAttributeNames: {
        '#status': 'status',
        ...(success ? { '#file': 'file' } : { '#error': 'error' }),
      },
      ExpressionAttributeValues: {
        ':completing': 'completing',
        ':token': token,
        ':now': now.toISOString(),
        ...(success
          ? { ':uploaded': 'uploaded', ':file': result.file, ':expiresAt': result.expiresAt }
          : { ':failed': 'failed', ':error': result.error }),
      },
    });
    return out !== undefined;
  }

  async abandonCompletion(sessionId: string, token: string, now: Date): Promise<boolean> {
    const out = await this.conditionalUpdate({
      Key: keys.session(sessionId),
      UpdateExpression:
        'SET #status = :uploading, updatedAt = :now REMOVE completionToken, completingSince',
      ConditionExpression: '#status = :completing AND completionToken = :token',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':uploading': 'uploading',
        ':completing': 'completing',
        ':token': token,
        ':now': now.toISOString(),
      },
    });
    return out !== undefined;
  }

  async cancel(sessionId: string, now: Date): Promise<boolean> {
    const out = await this.conditionalUpdate({
      Key: keys.session(sessionId),
      UpdateExpression: 'SET #status = :cancelled, updatedAt = :now',
      ConditionExpression: IS_OPEN,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ...OPEN,
        ':cancelled': 'cancelled',
        ':now': now.toISOString(),
        ':nowEpoch': epochSeconds(now),
      },
      ReturnValues: 'UPDATED_NEW',
    });
    return out !== undefined;
  }

  listSessions(query: Parameters<SessionLedger['listSessions']>[0]) {
    return this.call(() => listSessionsPage(this.db, this.table, query));
  }

  /** The slot write: the user's first session creates the map; later ones join it while it has room. */
  private takeSlot({ session, liveSlots, maxLiveSessions }: NewSessionWrite): TransactItem {
    const key = keys.liveSlots(session.userId);
    const expiresAt =
      Math.max(session.expiresAt, ...Object.values(liveSlots.sessions)) + LIVE_RECORD_GRACE_SECONDS;
    if (!liveSlots.recorded) {
      return {
        Put: {
          TableName: this.table,
          Item: { ...key, sessions: { [session.id]: session.expiresAt }, expiresAt },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      };
    }
    return {
      Update: {
        TableName: this.table,
        Key: key,
        UpdateExpression: 'SET sessions.#session = :sessionExpiresAt, expiresAt = :expiresAt',
        ConditionExpression: 'attribute_exists(sessions) AND size(sessions) < :limit',
        ExpressionAttributeNames: { '#session': session.id },
        ExpressionAttributeValues: {
          ':sessionExpiresAt': session.expiresAt,
          ':expiresAt': expiresAt,
          ':limit': maxLiveSessions,
        },
      },
    };
  }

  /**
   * Removes sessions from the user's live-slot map; with no map there is nothing to free.
   * DynamoDB refuses a write to an item that an initiate's transaction holds: it is retried.
   */
  private async freeSlots(userId: string, sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.conditionalUpdate({
          Key: keys.liveSlots(userId),
          UpdateExpression: `REMOVE ${sessionIds.map((_, i) => `sessions.#s${i}`).join(', ')}`,
          ConditionExpression: 'attribute_exists(sessions)',
          ExpressionAttributeNames: Object.fromEntries(sessionIds.map((id, i) => [`#s${i}`, id])),
        });
        return;
      } catch (error) {
        if (!isTransactionConflict(error)) throw error;
        if (attempt === CONFLICT_ATTEMPTS)
          throw new StorageUnavailableError('DynamoDB', { cause: error });
        await sleep(Math.random() * CONFLICT_BACKOFF_MS * attempt);
      }
    }
  }

  private pointerPut(
    key: Record<string, string>,
    session: UploadSession,
    replacing?: SessionLookup,
  ): TransactItem {
    return {
      Put: {
        TableName: this.table,
        Item: {
          ...key,
          sessionId: session.id,
          fingerprint: session.requestFingerprint ?? '',
          expiresAt: session.expiresAt,
        },
        ConditionExpression: replacing
          ? 'attribute_not_exists(PK) OR sessionId = :replacing'
          : 'attribute_not_exists(PK)',
        ...(replacing ? { ExpressionAttributeValues: { ':replacing': replacing.sessionId } } : {}),
      },
    };
  }

  private async lookup(key: Record<string, string>): Promise<SessionLookup | undefined> {
    const out = await this.call(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true })),
    );
    if (!out.Item) return undefined;
    return {
      sessionId: out.Item.sessionId as string,
      fingerprint: out.Item.fingerprint as string,
      expiresAt: out.Item.expiresAt as number,
    };
  }

  /** Runs a conditional update; undefined when the condition failed (another write won). */
  private async conditionalUpdate(
    input: Omit<UpdateCommandInput, 'TableName'>,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const out = await this.db.send(new UpdateCommand({ TableName: this.table, ...input }));
      return out.Attributes ?? {};
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
      return translateDynamoError(error);
    }
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      return translateDynamoError(error);
    }
  }

  async markFileDeleted(sessionId: string, expiresAt: number, now: Date): Promise<boolean> {
    const out = await this.conditionalUpdate({
      Key: keys.session(sessionId),
      UpdateExpression:
        'SET #status = :deleted, expiresAt = :expiresAt, updatedAt = :now REMOVE #file',
      ConditionExpression: '#status = :uploaded',
      ExpressionAttributeNames: { '#status': 'status', '#file': 'file' },
      ExpressionAttributeValues: {
        ':deleted': 'deleted',
        ':uploaded': 'uploaded',
        ':expiresAt': expiresAt,
        ':now': now.toISOString(),
      },
    });
    return out !== undefined;
  }
}

/** A write refused because a transaction held the item (the adapter may already have translated it). */
const isTransactionConflict = (error: unknown): boolean =>
  [error, (error as { cause?: unknown })?.cause].some(
    (e) => (e as { name?: string } | undefined)?.name === 'TransactionConflictException',
  );
