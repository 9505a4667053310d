import type { ChunkEntry } from '../domain/ports.ts';
import { epochSeconds } from '../domain/session.ts';
import type { TransactItem } from './dynamo-transaction.ts';
import { keys } from './session-item.ts';

/**
 * A chunk page item holds its recorded chunks in two sets kept in step: `n`, their chunk numbers
 * (what a condition can test a chunk's absence on), and `e`, one string per chunk,
 * `<chunkNumber> <etag> <size>[ <sha256>]` (S3 ETags and base64 hold no space), about 95 bytes a
 * chunk; `v` counts the page's writes. Adding chunks is one `ADD` of both sets, whatever their
 * number (moto parses an update in time quadratic in its clauses: one clause per chunk would make
 * every benchmark a benchmark of moto).
 */
export interface Page {
  /** 0 when the page does not exist yet. */
  readonly version: number;
  readonly entries: ReadonlyMap<number, ChunkEntry>;
}

export const EMPTY_PAGE: Page = { version: 0, entries: new Map() };

export function pageOf(item: Record<string, unknown> | undefined): Page {
  if (!item) return EMPTY_PAGE;
  const entries = new Map<number, ChunkEntry>();
  for (const line of (item.e as Set<string> | undefined) ?? []) {
    const entry = entryOf(line);
    if (entry) entries.set(entry.chunkNumber, entry);
  }
  return { version: Number(item.v ?? 0), entries };
}

function entryOf(line: string): ChunkEntry | undefined {
  const [chunkNumber, etag, size, checksumSha256] = line.split(' ');
  if (!chunkNumber || !etag || !size) return undefined;
  return {
    chunkNumber: Number(chunkNumber),
    size: Number(size),
    etag,
    ...(checksumSha256 ? { checksumSha256 } : {}),
  };
}

const line = (e: ChunkEntry): string =>
  [e.chunkNumber, e.etag, e.size, ...(e.checksumSha256 ? [e.checksumSha256] : [])].join(' ');

/** A page item and what it changes in the session's totals. */
export interface PageItem {
  readonly item: TransactItem;
  readonly bytes: number;
  readonly count: number;
}

const NAMES = { '#n': 'n', '#e': 'e' };
const sizeOf = (entries: Iterable<ChunkEntry>): number =>
  [...entries].reduce((sum, e) => sum + e.size, 0);

/** Adds chunks the page is not known to hold, each only if its number is absent from it. */
export function addItem(
  table: string,
  sessionId: string,
  page: number,
  chunks: readonly ChunkEntry[],
  expiresAt: number,
): PageItem {
  const absent = chunks.map((c, i) => [`:c${i}`, c.chunkNumber] as const);
  return {
    item: {
      Update: {
        TableName: table,
        Key: keys.chunkPage(sessionId, page),
        UpdateExpression: 'ADD #n :numbers, #e :entries, v :one SET expiresAt = :expiresAt',
        ConditionExpression: absent.map(([name]) => `NOT contains(#n, ${name})`).join(' AND '),
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: {
          ':numbers': new Set(chunks.map((c) => c.chunkNumber)),
          ':entries': new Set(chunks.map(line)),
          ':one': 1,
          ':expiresAt': expiresAt,
          ...Object.fromEntries(absent),
        },
      },
    },
    bytes: sizeOf(chunks),
    count: chunks.length,
  };
}

/** Writes a page's whole content (to replace entries), only if no write landed since it was read. */
export function rewriteItem(
  table: string,
  sessionId: string,
  page: number,
  read: Page,
  entries: ReadonlyMap<number, ChunkEntry>,
  expiresAt: number,
): PageItem {
  const first = read.version === 0;
  return {
    item: {
      Update: {
        TableName: table,
        Key: keys.chunkPage(sessionId, page),
        UpdateExpression: 'SET #n = :numbers, #e = :entries, expiresAt = :expiresAt ADD v :one',
        ConditionExpression: first ? 'attribute_not_exists(PK)' : 'v = :read',
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: {
          ':numbers': new Set(entries.keys()),
          ':entries': new Set([...entries.values()].map(line)),
          ':one': 1,
          ':expiresAt': expiresAt,
          ...(first ? {} : { ':read': read.version }),
        },
      },
    },
    bytes: sizeOf(entries.values()) - sizeOf(read.entries.values()),
    count: entries.size - read.entries.size,
  };
}

/** Removes chunks from the page, each only if it still holds exactly that entry. */
export function dropItem(
  table: string,
  sessionId: string,
  page: number,
  chunks: readonly ChunkEntry[],
): PageItem {
  const present = chunks.map((c, i) => [`:e${i}`, line(c)] as const);
  return {
    item: {
      Update: {
        TableName: table,
        Key: keys.chunkPage(sessionId, page),
        UpdateExpression: 'DELETE #n :numbers, #e :entries ADD v :one',
        ConditionExpression: present.map(([name]) => `contains(#e, ${name})`).join(' AND '),
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: {
          ':numbers': new Set(chunks.map((c) => c.chunkNumber)),
          ':entries': new Set(present.map(([, value]) => value)),
          ':one': 1,
          ...Object.fromEntries(present),
        },
      },
    },
    bytes: -sizeOf(chunks),
    count: -chunks.length,
  };
}

const OPEN_CONDITION = '#status IN (:initiated, :uploading) AND expiresAt > :nowEpoch';

/** The session's side of every chunk write: the totals move only while the session is open. */
export function sessionTotals(
  table: string,
  sessionId: string,
  delta: { bytes: number; count: number },
  now: Date,
): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: keys.session(sessionId),
      UpdateExpression:
        delta.count > 0
          ? 'SET #status = :uploading, updatedAt = :now, lastChunkAt = :now ADD uploadedBytes :bytes, chunksUploaded :count'
          : 'SET updatedAt = :now ADD uploadedBytes :bytes, chunksUploaded :count',
      ConditionExpression: OPEN_CONDITION,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':initiated': 'initiated',
        ':uploading': 'uploading',
        ':now': now.toISOString(),
        ':nowEpoch': epochSeconds(now),
        ':bytes': delta.bytes,
        ':count': delta.count,
      },
    },
  };
}
