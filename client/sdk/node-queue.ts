/** An upload queue for Node that also takes file paths (Node-only: it reads the file system). */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { fileSource, jsonFileStore, sha256Chunk } from './node.ts';
import { nodeHttpFetch } from './node-http.ts';
import { type AdoptedSource, QueueOf, type UploadQueue, type UploadQueueOptions } from './queue.ts';
import type { UploadSource } from './source.ts';
import type { ResumeStore } from './store.ts';

export interface FileUploadQueueOptions extends Omit<UploadQueueOptions, 'store'> {
  /** Defaults to the JSON-file store at `defaultStatePath()`; `false` disables resuming. */
  readonly store?: ResumeStore | false;
}

export type FileUploadQueue = UploadQueue<string | Blob | UploadSource>;

/**
 * `createUploadQueue` with `uploadFile`'s defaults (node:http, node:crypto hashing, the JSON-file
 * resume store) that also takes file paths. `add(path)` reads the file's size at once (and throws
 * when it is not a regular file); the file is opened when its upload starts and closed once it
 * has ended.
 */
export function createFileUploadQueue(options: FileUploadQueueOptions): FileUploadQueue {
  const { store, ...rest } = options;
  const resolvedStore = store === false ? undefined : (store ?? jsonFileStore());
  return new QueueOf<string | Blob | UploadSource>(
    {
      ...rest,
      fetch: rest.fetch ?? nodeHttpFetch,
      sha256: rest.sha256 ?? sha256Chunk,
      ...(resolvedStore ? { store: resolvedStore } : {}),
    },
    (source) => (typeof source === 'string' ? lazyFileSource(source) : { source }),
  );
}

/** A file path as a source whose file handle is opened on the first read. */
function lazyFileSource(path: string): AdoptedSource {
  const stats = statSync(path);
  if (!stats.isFile()) throw new Error(`${path} is not a regular file`);
  let opened: ReturnType<typeof fileSource> | undefined;
  const file = () => {
    opened ??= fileSource(path);
    return opened;
  };
  const source: UploadSource = {
    name: basename(path),
    size: stats.size,
    lastModified: Math.trunc(stats.mtimeMs),
    read: async (start, end) => (await file()).read(start, end),
    readInto: async (start, end, target) => {
      const handle = await file();
      return handle.readInto ? handle.readInto(start, end, target) : handle.read(start, end);
    },
  };
  return {
    source,
    release: async () => {
      const handle = opened;
      opened = undefined;
      if (handle) await (await handle).close();
    },
  };
}
