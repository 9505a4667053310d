import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoSessionLedger } from '../../src/adapters/dynamo-session-ledger.ts';
import { keys } from '../../src/adapters/session-item.ts';
import type { ChunkEntry } from '../../src/domain/ports.ts';
import type { UploadSession } from '../../src/domain/session.ts';
import { itemSize } from '../dynamodb-units.ts';
import { aSession, entryOf, range, retried, round } from './support.ts';
import { ledgerWriteCharge } from './write-charge.ts';

interface Ledger {
  readonly ledger: DynamoSessionLedger;
  readonly reported: { writes: number; capacity: number };
}

/** A ledger whose writes ask for ReturnConsumedCapacity and tally what the emulator reports. */
function instrumentedLedger(
  db: DynamoDBDocumentClient,
  table: string,
  chunksPerPage: number,
): Ledger {
  const reported = { writes: 0, capacity: 0 };
  db.middlewareStack.add(
    (next, context) => async (args) => {
      const input = (args as { input: Record<string, unknown> }).input;
      const write = /TransactWrite|UpdateItem|PutItem/.test(context.commandName ?? '');
      if (write) input.ReturnConsumedCapacity = 'INDEXES';
      const out = await next(args);
      if (write) {
        reported.writes++;
        const consumed = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        for (const c of [consumed].flat() as { CapacityUnits?: number }[])
          reported.capacity += c?.CapacityUnits ?? 0;
      }
      return out;
    },
    { step: 'initialize', name: 'benchConsumedCapacity' },
  );
  return { ledger: new DynamoSessionLedger(db, table, { chunksPerPage }), reported };
}

export async function newSession(
  ledger: DynamoSessionLedger,
  totalChunks: number,
): Promise<UploadSession> {
  const session = aSession(totalChunks);
  const created = await retried(() =>
    ledger.createSession({
      session,
      liveSlots: { recorded: false, sessions: {} },
      endedSlots: [],
      maxLiveSessions: 20,
    }),
  );
  if (created.kind !== 'created') throw new Error(`session not created: ${created.kind}`);
  return session;
}

/**
 * Write units of recording `chunks` chunks in `batch`es, one batch at a time: after each, the
 * items it touched are read back (outside any timing) and charged by their old and new sizes.
 */
export async function measureUnits(
  db: DynamoDBDocumentClient,
  reader: DynamoDBDocumentClient,
  table: string,
  options: { chunks: number; batch: number; chunksPerPage: number },
) {
  const { ledger, reported } = instrumentedLedger(db, table, options.chunksPerPage);
  const session = await newSession(ledger, Math.max(options.chunks, 1));
  const items = new Map<string, Record<string, unknown> | undefined>();
  const read = async (key: Record<string, string>) =>
    (
      await retried(() =>
        reader.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true })),
      )
    ).Item;
  const sessionKey = keys.session(session.id);
  items.set('SESSION', await read(sessionKey));
  let table_ = 0;
  let index = 0;
  let largest = itemSize(items.get('SESSION'));
  const writesBefore = reported.writes;
  for (let start = 0; start < options.chunks; start += options.batch) {
    const chunks = range(start, Math.min(start + options.batch, options.chunks)).map(entryOf);
    await retried(() => ledger.recordChunks(session, chunks, new Date(), 'replace'));
    const pages = [
      ...new Set(chunks.map((c) => Math.floor(c.chunkNumber / options.chunksPerPage))),
    ];
    for (const key of [sessionKey, ...pages.map((p) => keys.chunkPage(session.id, p))]) {
      const before = items.get(key.SK);
      const after = await read(key);
      const charge = ledgerWriteCharge(before, after, true);
      table_ += charge.table;
      index += charge.index;
      largest = Math.max(largest, itemSize(after));
      items.set(key.SK, after);
    }
  }
  return {
    chunks: options.chunks,
    batch: options.batch,
    chunksPerPage: options.chunksPerPage,
    transactions: reported.writes - writesBefore,
    tableUnits: table_,
    indexUnits: index,
    unitsPerChunk: round((table_ + index) / options.chunks, 3),
    largestItemBytes: largest,
    emulatorReportedUnits: reported.capacity,
    session,
    ledger,
  };
}

/** Records/s of one session: batches of `batch`, `inFlight` awaiting their answer at once. */
export async function measureRate(
  ledger: DynamoSessionLedger,
  chunks: number,
  batch: number,
  inFlight: number,
) {
  const session = await newSession(ledger, chunks);
  const batches: ChunkEntry[][] = [];
  for (let start = 0; start < chunks; start += batch)
    batches.push(range(start, Math.min(start + batch, chunks)).map(entryOf));
  const startedAt = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let b = batches[next++]; b; b = batches[next++])
        await retried(() => ledger.recordChunks(session, b, new Date(), 'replace'));
    }),
  );
  const seconds = (performance.now() - startedAt) / 1000;
  const stored = await ledger.getSession(session.id);
  if (stored?.chunksUploaded !== chunks)
    throw new Error(`recorded ${stored?.chunksUploaded} of ${chunks}`);
  return {
    chunks,
    batch,
    inFlight,
    seconds: round(seconds),
    recordsPerSecond: round(chunks / seconds, 0),
  };
}

/** The largest item of a session's partition (read in small pages: moto answers slowly). */
export async function largestItem(db: DynamoDBDocumentClient, table: string, sessionId: string) {
  let largest = 0;
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await retried(() =>
      db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': keys.session(sessionId).PK },
          Limit: 25,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    for (const item of page.Items ?? []) {
      largest = Math.max(largest, itemSize(item));
      count++;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { items: count, largestItemBytes: largest };
}
