import { randomUUID } from 'node:crypto';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILTERED_PAGE_LIMIT, LIST_QUERY_BUDGET } from '../../src/adapters/dynamo-session-list.ts';
import { toSessionItem } from '../../src/adapters/session-item.ts';
import type { UploadSession } from '../../src/domain/session.ts';
import type { ApiClient } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { hookHandlers, type SdkHooks } from '../support/sdk-hooks.ts';
import { aSession } from '../support/session-fixture.ts';

interface Page {
  readonly items: number;
  readonly nextCursor: string | null;
  readonly queries: number;
}

let harness: Harness;
let hooks: SdkHooks;

beforeAll(async () => {
  harness = await startHarness();
  hooks = await hookHandlers();
});

afterAll(async () => {
  await harness?.close();
});

const HOUR = 3600;

/**
 * Writes sessions straight into the ledger's table, oldest first and a millisecond apart, as the
 * ledger itself stores them (initiating hundreds through the API would only test initiate).
 */
async function seed(userId: string, shapes: readonly Partial<UploadSession>[], from: number) {
  const now = Math.floor(Date.now() / 1000);
  const sessions = shapes.map((shape, i) => {
    const createdAt = new Date(from + i).toISOString();
    return aSession({
      id: randomUUID(),
      userId,
      fileId: randomUUID(),
      createdAt,
      updatedAt: createdAt,
      expiresAt: now + HOUR,
      ...shape,
    });
  });
  for (let start = 0; start < sessions.length; start += 25) {
    const batch = sessions.slice(start, start + 25);
    const written = await harness.db.send(
      new BatchWriteCommand({
        RequestItems: {
          [harness.table]: batch.map((s) => ({ PutRequest: { Item: toSessionItem(s) } })),
        },
      }),
    );
    expect(written.UnprocessedItems ?? {}).toEqual({});
  }
  return sessions;
}

/** Follows nextCursor to the end, counting the Query calls each request made. */
async function walk(user: ApiClient, status: string, limit: number) {
  const items: { id: string }[] = [];
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const seen = hooks.calls.length;
    const after: string = cursor === null ? '' : `&cursor=${cursor}`;
    const answer = await user.request('GET', `/uploads?status=${status}&limit=${limit}${after}`);
    expect(answer.status).toBe(200);
    const queries = hooks.calls.slice(seen).filter((c) => c.command === 'QueryCommand').length;
    cursor = answer.body.data.nextCursor;
    items.push(...answer.body.data.items);
    pages.push({ items: answer.body.data.items.length, nextCursor: cursor, queries });
  } while (cursor !== null && pages.length < 100);
  return { ids: items.map((s) => s.id), pages };
}

const newestFirst = (sessions: readonly UploadSession[]) =>
  [...sessions]
    .sort((a, b) => (`${a.createdAt}#${a.id}` < `${b.createdAt}#${b.id}` ? 1 : -1))
    .map((s) => s.id);

describe('listing with a filter that rarely matches', () => {
  it('bounds the Query calls of every request and still reaches the match', async () => {
    // Prepare: the one uploaded session is the oldest, behind 400 initiated ones.
    const user = await harness.as('rare-lister');
    const started = await user.initiate({ fileName: 'done.bin', fileSize: 1, checksum: 'NONE' });
    const uploaded = started.body.data;
    await user.sendChunk(uploaded.id, 0, new Uint8Array(1), false);
    expect((await user.request('POST', `/uploads/${uploaded.id}/complete`)).status).toBe(200);
    const after = Date.parse(uploaded.createdAt) + 1;
    await seed(
      'rare-lister',
      Array.from({ length: 400 }, () => ({ status: 'initiated' })),
      after,
    );

    // Act
    const { ids, pages } = await walk(user, 'uploaded', 1);

    // Assess
    expect(ids).toEqual([uploaded.id]);
    expect(Math.max(...pages.map((p) => p.queries))).toBeLessThanOrEqual(LIST_QUERY_BUDGET);
    const evaluatedPerRequest = LIST_QUERY_BUDGET * FILTERED_PAGE_LIMIT;
    expect(pages.length).toBeLessThanOrEqual(Math.ceil(401 / evaluatedPerRequest) + 1);
    expect(pages[0]).toMatchObject({ items: 0, nextCursor: expect.any(String) });
  });
});

describe('following nextCursor through a mixed list', () => {
  it('returns every matching session exactly once, newest first, for every filter', async () => {
    // Prepare: more sessions than one request evaluates, uploaded ones bunched at both ends.
    const count = LIST_QUERY_BUDGET * FILTERED_PAGE_LIMIT + 50;
    const past = Math.floor(Date.now() / 1000) - HOUR;
    const shapeOf = (i: number): Partial<UploadSession> => {
      if (i < 3 || i === 200 || i >= count - 2) return { status: 'uploaded' };
      if (i % 7 === 0) return { status: 'cancelled' };
      if (i % 13 === 0) return { status: 'initiated', expiresAt: past };
      if (i % 11 === 0) return { status: 'uploading', chunksUploaded: 1 };
      return { status: 'initiated' };
    };
    const shapes = Array.from({ length: count }, (_, i) => shapeOf(i));
    const sessions = await seed('mixed-lister', shapes, Date.now() - HOUR * 1000);
    const now = Date.now() / 1000;
    const expected = {
      all: newestFirst(sessions),
      uploaded: newestFirst(sessions.filter((s) => s.status === 'uploaded')),
      active: newestFirst(
        sessions.filter((s) => ['initiated', 'uploading'].includes(s.status) && s.expiresAt > now),
      ),
    };
    const user = await harness.as('mixed-lister');

    // Act
    const walks = {
      all: await walk(user, 'all', 100),
      uploaded: await walk(user, 'uploaded', 4),
      active: await walk(user, 'active', 37),
    };

    // Assess
    for (const [status, { ids, pages }] of Object.entries(walks)) {
      expect(ids, status).toEqual(expected[status as keyof typeof expected]);
      expect(Math.max(...pages.map((p) => p.queries)), status).toBeLessThanOrEqual(
        LIST_QUERY_BUDGET,
      );
    }
    // The budget ran out between matches: a short page that still points on.
    expect(walks.uploaded.pages.some((p) => p.items < 4 && p.nextCursor !== null)).toBe(true);
  });
});
