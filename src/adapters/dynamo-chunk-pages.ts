import { setTimeout as sleep } from 'node:timers/promises';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { StorageUnavailableError } from '../domain/errors.ts';
import type { ChunkEntry, OnChangedEntry, RecordOutcome } from '../domain/ports.ts';
import type { UploadSession } from '../domain/session.ts';
import {
  addItem,
  dropItem,
  type Page,
  type PageItem,
  pageOf,
  rewriteItem,
  sessionTotals,
} from './chunk-page-items.ts';
import { lostTransaction, MAX_TRANSACTION_ITEMS } from './dynamo-transaction.ts';
import { translateDynamoError } from './sdk-errors.ts';
import { CHUNK_PAGE_PREFIX, keys } from './session-item.ts';

/**
 * Chunks per page. DynamoDB charges a write by the larger of the item's old and new size, so a
 * page must stay small for a record to rewrite few bytes: a full page of checksummed chunks is
 * about 3 KB, a batch of 32-100 chunks touches 1-5 pages, and batches cost about 0.3 write units
 * a chunk (bench/ledger-units.ts compares 8 to 64). Fixed for the life of a table.
 */
export const DEFAULT_CHUNKS_PER_PAGE = 32;
/** Pages one Query reads at most (about 300 KB): small answers, also from a slow emulator. */
const PAGES_PER_READ = 100;
/** Pages outlive their session's expiry, so a completion taken over late still finds them. */
const PAGE_GRACE_SECONDS = 24 * 3600;
/**
 * Writes to one session contend on its item (every transaction updates the totals): a lost write
 * waits a random time up to a bound that doubles each attempt (full jitter).
 */
const ATTEMPTS = 10;
const BACKOFF_BASE_MS = 10;
const BACKOFF_MAX_MS = 500;

/** Pages as read after a lost write; a page not in it is assumed to lack the chunks written. */
type KnownPages = Map<number, Page>;

type WriteResult = 'written' | 'session-closed' | { readonly lost: readonly number[] };

/**
 * The session's recorded chunks, kept in pages next to the session item (same partition key).
 * Every write is one TransactWriteItems of the touched pages and the session's totals, so a
 * chunk counts exactly when its entry lands. Writes are optimistic: a chunk is added only if its
 * page lacks it; a lost condition is retried after reading the page again.
 */
export class DynamoChunkPages {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly readSession: (id: string) => Promise<UploadSession | undefined>,
    readonly chunksPerPage: number = DEFAULT_CHUNKS_PER_PAGE,
  ) {}

  async read(sessionId: string): Promise<Map<number, ChunkEntry>> {
    const chunks = new Map<number, ChunkEntry>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.call(() =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
            ExpressionAttributeValues: {
              ':pk': keys.session(sessionId).PK,
              ':prefix': CHUNK_PAGE_PREFIX,
            },
            ConsistentRead: true,
            Limit: PAGES_PER_READ,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of out.Items ?? [])
        for (const [n, e] of pageOf(item).entries) chunks.set(n, e);
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return chunks;
  }

  /** Adds chunks; one recorded with the same ETag is a repeat, another ETag per `onChanged`. */
  async record(
    session: Pick<UploadSession, 'id' | 'expiresAt'>,
    chunks: readonly ChunkEntry[],
    now: Date,
    onChanged: OnChangedEntry,
  ): Promise<RecordOutcome> {
    const known: KnownPages = new Map();
    const expiresAt = session.expiresAt + PAGE_GRACE_SECONDS;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const items = this.recordItems(session.id, chunks, known, onChanged, expiresAt);
      if (items.length === 0) return this.totals(session.id);
      const result = await this.writeAll(session.id, items, known, now);
      if (result === 'written') return this.totals(session.id);
      if (result === 'session-closed') return this.afterSessionClosed(session.id, chunks);
      await this.reread(session.id, result.lost, known, attempt);
    }
    throw contention();
  }

  /** Removes chunks still recorded exactly as given; false when the session is not open. */
  async drop(sessionId: string, chunks: readonly ChunkEntry[], now: Date): Promise<boolean> {
    const known: KnownPages = new Map();
    let remaining = chunks;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const items = this.byPage(remaining).map(([page, onPage]) => ({
        page,
        ...dropItem(this.table, sessionId, page, onPage),
      }));
      if (items.length === 0) return true;
      const result = await this.writeAll(sessionId, items, known, now);
      if (result === 'written') return true;
      if (result === 'session-closed') return false;
      await this.reread(sessionId, result.lost, known, attempt);
      remaining = remaining.filter((c) => {
        const page = known.get(this.pageOf(c.chunkNumber));
        return !page || sameEntry(page.entries.get(c.chunkNumber), c);
      });
    }
    throw contention();
  }

  private pageOf(chunkNumber: number): number {
    return Math.floor(chunkNumber / this.chunksPerPage);
  }

  private byPage(chunks: readonly ChunkEntry[]): [number, ChunkEntry[]][] {
    const pages = new Map<number, ChunkEntry[]>();
    for (const chunk of chunks) {
      const page = this.pageOf(chunk.chunkNumber);
      pages.set(page, [...(pages.get(page) ?? []), chunk]);
    }
    return [...pages];
  }

  /**
   * The page writes a record needs: chunks a page is not known to hold are added blind (each on
   * condition that it is absent); a page whose known entry must be replaced is rewritten whole,
   * on condition that it did not change since it was read.
   */
  private recordItems(
    sessionId: string,
    chunks: readonly ChunkEntry[],
    known: KnownPages,
    onChanged: OnChangedEntry,
    expiresAt: number,
  ): (PageItem & { page: number })[] {
    const items: (PageItem & { page: number })[] = [];
    for (const [page, onPage] of this.byPage(chunks)) {
      const read = known.get(page);
      const current = (c: ChunkEntry) => read?.entries.get(c.chunkNumber);
      const fresh = onPage.filter((c) => !current(c));
      const replaced = onPage.filter(
        (c) => current(c) && current(c)?.etag !== c.etag && onChanged === 'replace',
      );
      if (read && replaced.length > 0) {
        const entries = new Map(read.entries);
        for (const c of [...fresh, ...replaced]) entries.set(c.chunkNumber, c);
        items.push({ page, ...rewriteItem(this.table, sessionId, page, read, entries, expiresAt) });
      } else if (fresh.length > 0) {
        items.push({ page, ...addItem(this.table, sessionId, page, fresh, expiresAt) });
      }
    }
    return items;
  }

  /**
   * Writes the pages, each transaction carrying the session's totals for its own pages (a batch
   * spread over more than 99 pages takes several). Stops at the first transaction that loses.
   */
  private async writeAll(
    sessionId: string,
    items: readonly (PageItem & { page: number })[],
    known: KnownPages,
    now: Date,
  ): Promise<WriteResult> {
    for (let start = 0; start < items.length; start += MAX_TRANSACTION_ITEMS - 1) {
      const group = items.slice(start, start + MAX_TRANSACTION_ITEMS - 1);
      const delta = { bytes: 0, count: 0 };
      for (const { bytes, count } of group) {
        delta.bytes += bytes;
        delta.count += count;
      }
      const transactItems = [
        ...group.map((i) => i.item),
        sessionTotals(this.table, sessionId, delta, now),
      ];
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: transactItems }));
      } catch (error) {
        const codes = lostTransaction(error);
        if (!codes) return translateDynamoError(error);
        if (codes[group.length] === 'ConditionalCheckFailed') return 'session-closed';
        return { lost: group.filter((_, i) => codes[i] && codes[i] !== 'None').map((i) => i.page) };
      }
      // A page just written is read again before any retry relies on what it holds.
      for (const { page } of group) known.delete(page);
    }
    return 'written';
  }

  /** Reads the pages again after a lost write, first waiting a jittered, growing time. */
  private async reread(
    sessionId: string,
    pages: readonly number[],
    known: KnownPages,
    attempt: number,
  ): Promise<void> {
    await sleep(Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt));
    const read = await Promise.all(pages.map((page) => this.readPage(sessionId, page)));
    pages.forEach((page, i) => {
      known.set(page, read[i] as Page);
    });
  }

  private async readPage(sessionId: string, page: number): Promise<Page> {
    const out = await this.call(() =>
      this.db.send(
        new GetCommand({
          TableName: this.table,
          Key: keys.chunkPage(sessionId, page),
          ConsistentRead: true,
        }),
      ),
    );
    return pageOf(out.Item);
  }

  /** The session's totals after the write, read back (concurrent records may be in them too). */
  private async totals(sessionId: string): Promise<RecordOutcome> {
    const session = await this.readSession(sessionId);
    if (!session) return { kind: 'rejected', session };
    const { uploadedBytes, chunksUploaded } = session;
    return { kind: 'recorded', uploadedBytes, chunksUploaded };
  }

  /** A closed session takes no write; a batch it already holds exactly is still a harmless repeat. */
  private async afterSessionClosed(
    sessionId: string,
    chunks: readonly ChunkEntry[],
  ): Promise<RecordOutcome> {
    const session = await this.readSession(sessionId);
    const pages = new Map<number, Page>();
    for (const [page] of this.byPage(chunks)) pages.set(page, await this.readPage(sessionId, page));
    const repeat = chunks.every(
      (c) => pages.get(this.pageOf(c.chunkNumber))?.entries.get(c.chunkNumber)?.etag === c.etag,
    );
    if (!session || !repeat) return { kind: 'rejected', session };
    const { uploadedBytes, chunksUploaded } = session;
    return { kind: 'recorded', uploadedBytes, chunksUploaded };
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      return translateDynamoError(error);
    }
  }
}

const sameEntry = (a: ChunkEntry | undefined, b: ChunkEntry): boolean =>
  a?.etag === b.etag && a.size === b.size && a.checksumSha256 === b.checksumSha256;

const contention = () =>
  new StorageUnavailableError('DynamoDB', {
    cause: new Error('The chunk ledger stayed contended through every attempt'),
  });
