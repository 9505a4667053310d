import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/http/routes.ts';
import type { ApiClient } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';

let harness: Harness;
let alice: ApiClient;
let mallory: ApiClient;

beforeAll(async () => {
  harness = await startHarness();
  alice = await harness.as('alice');
  mallory = await harness.as('mallory');
});
afterAll(() => harness?.close());

const BODIES: Record<string, unknown> = {
  chunkUrls: { chunks: [{ chunkNumber: 0 }] },
  recordChunk: { etag: 'x' },
  recordChunks: { chunks: [{ chunkNumber: 0, etag: 'x' }] },
  complete: {},
};

describe("another user's session", () => {
  it('is 404 SESSION_NOT_FOUND on every session route, exactly like an unknown id, and stays intact', async () => {
    const bytes = randomBytes(64);
    const { body } = await alice.initiate({
      fileName: 'private.txt',
      fileSize: 64,
      checksum: 'NONE',
    });
    const id = body.data.id;
    await alice.sendChunk(id, 0, bytes, false);

    const sessionRoutes = ROUTES.filter((r) => r.path.includes('{id}'));
    expect(sessionRoutes).toHaveLength(10);
    for (const route of sessionRoutes) {
      const path = route.path
        .replace('/api/v1', '')
        .replace('{id}', id)
        .replace('{chunkNumber}', '0');
      const theirs = await mallory.request(route.method, path, BODIES[route.id]);
      const unknown = await mallory.request(
        route.method,
        route.path
          .replace('/api/v1', '')
          .replace('{id}', '11111111-1111-1111-1111-111111111111')
          .replace('{chunkNumber}', '0'),
        BODIES[route.id],
      );
      expect({ route: route.id, status: theirs.status, body: theirs.body }).toEqual({
        route: route.id,
        status: 404,
        body: unknown.body,
      });
      expect(theirs.body.error.code).toBe('SESSION_NOT_FOUND');
    }

    const list = await mallory.request('GET', '/uploads?status=all');
    expect(list.body.data.items).toEqual([]);
    // Mallory's attempts (including DELETE and complete) changed nothing.
    const mine = await alice.request('GET', `/uploads/${id}`);
    expect(mine.body.data).toMatchObject({ status: 'uploading', chunksUploaded: 1 });
    expect((await alice.request('POST', `/uploads/${id}/complete`)).status).toBe(200);
    expect(Buffer.from(await alice.download(id)).equals(bytes)).toBe(true);
  });

  it("cannot be reached through another user's list cursor", async () => {
    await alice.initiate({ fileName: 'a1', fileSize: 1, checksum: 'NONE' });
    await alice.initiate({ fileName: 'a2', fileSize: 1, checksum: 'NONE' });
    const page = await alice.request('GET', '/uploads?limit=1');
    expect(page.body.data.nextCursor).toEqual(expect.any(String));
    const stolen = await mallory.request(
      'GET',
      `/uploads?limit=10&cursor=${page.body.data.nextCursor}`,
    );
    expect(stolen.status).toBe(200);
    expect(stolen.body.data.items).toEqual([]);
  });
});
