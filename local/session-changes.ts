import {
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTableCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import { sessionChangesOf } from '../src/adapters/dynamo-live-connections.ts';
import type { SessionChange } from '../src/domain/live/fold.ts';

/**
 * Where the local server learns that sessions changed: a small in-process notification port.
 * `publish` resolves once every listener has handled the batch, so a feed that awaits it hands
 * over the next batch only then, as Lambda runs one batch of a shard at a time.
 */
export interface SessionChanges {
  publish(changes: readonly SessionChange[]): Promise<void>;
  /** Returns the function that stops listening. */
  subscribe(listener: (changes: readonly SessionChange[]) => Promise<void> | void): () => void;
}

export function createSessionChanges(): SessionChanges {
  const listeners = new Set<(changes: readonly SessionChange[]) => Promise<void> | void>();
  return {
    async publish(changes) {
      if (changes.length === 0) return;
      await Promise.all([...listeners].map(async (listener) => listener(changes)));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

export interface TableStreamOptions {
  readonly table: string;
  readonly region: string;
  /** The DynamoDB endpoint (moto); undefined for real AWS. */
  readonly endpoint: string | undefined;
  readonly changes: SessionChanges;
  /**
   * Pause after a poll that found no records: this at first, doubling while the table stays
   * quiet up to `maxPollIntervalMs`, back to this as soon as records come. @default 100
   */
  readonly pollIntervalMs?: number;
  /** @default 1000 */
  readonly maxPollIntervalMs?: number;
  /** One line per problem (the feed keeps going); nothing is logged by default. */
  readonly log?: (line: string) => void;
}

export interface TableStreamFeed {
  stop(): Promise<void>;
}

/**
 * Follows the table's DynamoDB stream, as the deployed push function does, and publishes the
 * session changes of each batch of records with the very mapping that function uses
 * (sessionChangesOf). Enables the stream (NEW_AND_OLD_IMAGES, as the deployed table has it) on a
 * table created without one. Starts at the stream's end: it resolves once every open shard is
 * followed, so a write made after that is never missed.
 */
export async function followTableStream(options: TableStreamOptions): Promise<TableStreamFeed> {
  const { table, changes } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  // Each poll costs moto a shard iterator it keeps for good: a quiet table is polled less.
  const maxPollIntervalMs = Math.max(pollIntervalMs, options.maxPollIntervalMs ?? 1_000);
  const log = options.log ?? (() => undefined);
  const aws = {
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  const dynamodb = new DynamoDBClient(aws);
  const streams = new DynamoDBStreamsClient(aws);
  const streamArn = await enableStream(dynamodb, table);

  /** Open iterators by shard id; a shard seen once is never started again. */
  const iterators = new Map<string, string>();
  const seen = new Set<string>();
  const discover = async (position: ShardIteratorType) => {
    const { StreamDescription } = await streams.send(
      new DescribeStreamCommand({ StreamArn: streamArn }),
    );
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId;
      if (!shardId || seen.has(shardId)) continue;
      // A closed shard discovered at the start holds nothing new; one found later may.
      if (position === 'LATEST' && shard.SequenceNumberRange?.EndingSequenceNumber) continue;
      const out = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: position,
        }),
      );
      seen.add(shardId);
      if (out.ShardIterator) iterators.set(shardId, out.ShardIterator);
    }
  };
  await discover('LATEST');

  let stopped = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = async () => {
    let failing = false;
    let idleMs = pollIntervalMs;
    while (!stopped) {
      let busy = false;
      try {
        for (const [shardId, iterator] of [...iterators]) {
          const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
          if (out.NextShardIterator) iterators.set(shardId, out.NextShardIterator);
          else iterators.delete(shardId);
          const records = out.Records ?? [];
          if (records.length > 0) busy = true;
          await changes.publish(sessionChangesOf(records));
        }
        // A shard closed (or none is open): its children carry on from their start.
        if (iterators.size === 0) await discover('TRIM_HORIZON');
        failing = false;
      } catch (error) {
        if (!failing) log(`session change feed: ${String(error)}; retrying`);
        failing = true;
        if (isExpiredIterator(error)) {
          iterators.clear();
          await discover('LATEST').catch(() => undefined);
        }
        await pause(1_000);
        continue;
      }
      if (busy) idleMs = pollIntervalMs;
      else if (!stopped) {
        await pause(idleMs);
        idleMs = Math.min(idleMs * 2, maxPollIntervalMs);
      }
    }
  };
  const running = loop();

  return {
    async stop() {
      stopped = true;
      wake?.();
      await running;
      dynamodb.destroy();
      streams.destroy();
    },
  };
}

/** The table's stream ARN, after enabling a stream with new and old images if it has none. */
async function enableStream(dynamodb: DynamoDBClient, table: string): Promise<string> {
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
  if (Table?.StreamSpecification?.StreamEnabled && Table.LatestStreamArn) {
    return Table.LatestStreamArn;
  }
  await dynamodb.send(
    new UpdateTableCommand({
      TableName: table,
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: table });
  const { Table: updated } = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
  if (!updated?.LatestStreamArn) throw new Error(`table ${table} has no stream`);
  return updated.LatestStreamArn;
}

const isExpiredIterator = (error: unknown): boolean =>
  (error as { name?: string } | undefined)?.name === 'ExpiredIteratorException';
