/** Node-only pieces of the SDK: file-path sources, a JSON-file resume store, node:http PUTs. */
export { nodeHttpFetch } from './node-http.ts';

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { nodeHttpFetch } from './node-http.ts';
import type { UploadSource } from './source.ts';
import { isStoredUpload, type ResumeStore, type StoredUpload } from './store.ts';
import type { FileRecord } from './types.ts';
import { type UploadOptions, upload } from './upload.ts';

/** A file on disk as a source: each read is one positioned FileHandle read of that range. */
export async function fileSource(path: string): Promise<UploadSource & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`${path} is not a regular file`);
    return {
      name: basename(path),
      size: stats.size,
      lastModified: Math.trunc(stats.mtimeMs),
      read: (start, end) => readRange(handle, start, end, new Uint8Array(end - start)),
      readInto: (start, end, target) => readRange(handle, start, end, target),
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Fills `target` from `start`; a short result means the file ended before `end`. */
async function readRange(
  handle: FileHandle,
  start: number,
  end: number,
  target: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const length = end - start;
  if (target.length < length) throw new RangeError(`a ${length}-byte read needs a larger buffer`);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(target, filled, length - filled, start + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return target.subarray(0, filled);
}

/** `$UPLOAD_API_STATE`, else `~/.upload-api/sessions.json`. */
export const defaultStatePath = (): string =>
  process.env.UPLOAD_API_STATE || join(homedir(), '.upload-api', 'sessions.json');

/**
 * A resume store in one JSON file (`{ key: StoredUpload }`). Writes go to a temporary file that
 * is renamed over the old one, so a crash never leaves half a file; calls are serialised.
 */
export function jsonFileStore(path: string = defaultStatePath()): ResumeStore {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };
  const load = async (): Promise<Record<string, StoredUpload>> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    try {
      const value: unknown = JSON.parse(text);
      if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
      return Object.fromEntries(Object.entries(value).filter(([, v]) => isStoredUpload(v)));
    } catch {
      return {}; // an unreadable state file only loses the ability to resume
    }
  };
  const save = async (entries: Record<string, StoredUpload>) => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  };
  return {
    get: (key) => serial(async () => (await load())[key]),
    set: (key, value) =>
      serial(async () => {
        const entries = await load();
        entries[key] = value;
        await save(entries);
      }),
    delete: (key) =>
      serial(async () => {
        const entries = await load();
        if (!(key in entries)) return;
        delete entries[key];
        await save(entries);
      }),
  };
}

/** A chunk's SHA-256 with node:crypto, which hashes the bytes in place (WebCrypto copies them). */
export const sha256Chunk = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('base64');

/** The whole file's SHA-256 in base64, streamed (for `fileSha256`). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('base64');
}

export interface NodeUploadOptions extends Omit<UploadOptions, 'store'> {
  /** Defaults to the JSON-file store at `defaultStatePath()`; `false` disables resuming. */
  readonly store?: ResumeStore | false;
}

/**
 * `upload` for Node: a file path, a Blob or an UploadSource; resumable by default. File paths
 * are read into one reused buffer per worker and hashed with node:crypto; unless `fetch` is
 * given, API calls and chunk PUTs go through node:http (see nodeHttpFetch).
 */
export async function uploadFile(
  source: string | Blob | UploadSource,
  options: NodeUploadOptions,
): Promise<FileRecord> {
  const { store, ...rest } = options;
  const resolvedStore = store === false ? undefined : (store ?? jsonFileStore());
  const common = {
    ...rest,
    fetch: rest.fetch ?? nodeHttpFetch,
    ...(resolvedStore ? { store: resolvedStore } : {}),
    sha256: rest.sha256 ?? sha256Chunk,
  };
  if (typeof source !== 'string') return upload(source, common);
  const file = await fileSource(source);
  try {
    return await upload(file, common);
  } finally {
    await file.close();
  }
}

export {
  credentialsPath,
  readCredentialsSync,
  removeCredentials,
  type StoredCredentials,
  type StoredTokenOptions,
  storedCognitoTokenProvider,
  writeCredentials,
} from './cognito-credentials.ts';
export {
  type CognitoTokenOptions,
  cognitoTokenProvider,
  regionOfUserPool,
} from './cognito-token.ts';
export {
  createFileUploadQueue,
  type FileUploadQueue,
  type FileUploadQueueOptions,
} from './node-queue.ts';
export { type CachedTokenOptions, cachedTokenProvider, type TokenFunction } from './token-cache.ts';
export { type CommandTokenOptions, commandTokenProvider } from './token-command.ts';
