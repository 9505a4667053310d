import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonFileStore } from '../../../client/sdk/node.ts';
import {
  localStorageStore,
  memoryStore,
  type ResumeStore,
  type StoredUpload,
} from '../../../client/sdk/store.ts';

const entry: StoredUpload = {
  sessionId: 's-1',
  fileName: 'a.bin',
  fileSize: 10,
  chunkSize: 5,
  totalChunks: 2,
  checksum: 'SHA256',
  createdAt: '2026-01-01T00:00:00.000Z',
};

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

class FakeStorage {
  readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  getItem = (key: string) => this.items.get(key) ?? null;
  setItem = (key: string, value: string) => void this.items.set(key, value);
  removeItem = (key: string) => void this.items.delete(key);
  key = (i: number) => [...this.items.keys()][i] ?? null;
  clear = () => this.items.clear();
}

async function contract(store: ResumeStore) {
  expect(await store.get('k')).toBeUndefined();
  await store.set('k', entry);
  await store.set('other', { ...entry, sessionId: 's-2' });
  expect(await store.get('k')).toEqual(entry);
  await store.delete('k');
  await store.delete('k');
  expect(await store.get('k')).toBeUndefined();
  expect((await store.get('other'))?.sessionId).toBe('s-2');
}

describe('resume stores', () => {
  it('memoryStore keeps, returns and forgets entries', async () => {
    await contract(memoryStore());
  });

  it('localStorageStore does the same under a prefix and skips unreadable items', async () => {
    const storage = new FakeStorage();
    const store = localStorageStore({ storage: storage as unknown as Storage, prefix: 'p:' });
    await contract(store);
    expect([...storage.items.keys()]).toEqual(['p:other']);
    storage.setItem('p:bad', '{not json');
    storage.setItem('p:wrong', '{"sessionId":1}');
    expect(await store.get('bad')).toBeUndefined();
    expect(await store.get('wrong')).toBeUndefined();
  });

  it('jsonFileStore persists to a private file and survives concurrent writes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'upload-store-'));
    dirs.push(dir);
    const path = join(dir, 'nested', 'sessions.json');
    await contract(jsonFileStore(path));

    const store = jsonFileStore(path);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.set(`k${i}`, { ...entry, sessionId: `s${i}` })),
    );
    const reopened = jsonFileStore(path);
    expect((await reopened.get('k19'))?.sessionId).toBe('s19');
    expect(Object.keys(JSON.parse(await readFile(path, 'utf8')))).toHaveLength(21);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('jsonFileStore treats a corrupt file as empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'upload-store-'));
    dirs.push(dir);
    const path = join(dir, 'sessions.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, 'garbage');
    const store = jsonFileStore(path);
    expect(await store.get('k')).toBeUndefined();
    await store.set('k', entry);
    expect(await store.get('k')).toEqual(entry);
  });
});
