import type { ChecksumMode } from './types.ts';

/** What a resume store remembers about an unfinished upload. */
export interface StoredUpload {
  readonly sessionId: string;
  readonly fileName: string;
  readonly fileSize: number;
  readonly chunkSize: number;
  readonly totalChunks: number;
  readonly checksum: ChecksumMode;
  readonly createdAt: string;
}

/** Where unfinished uploads are remembered between runs; methods may be sync or async. */
export interface ResumeStore {
  get(key: string): Promise<StoredUpload | undefined> | StoredUpload | undefined;
  set(key: string, value: StoredUpload): Promise<void> | void;
  delete(key: string): Promise<void> | void;
}

export function isStoredUpload(value: unknown): value is StoredUpload {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.sessionId === 'string' &&
    typeof v.fileName === 'string' &&
    Number.isSafeInteger(v.fileSize) &&
    Number.isSafeInteger(v.chunkSize) &&
    Number.isSafeInteger(v.totalChunks) &&
    (v.checksum === 'SHA256' || v.checksum === 'NONE') &&
    typeof v.createdAt === 'string'
  );
}

/** A store in memory: it lasts as long as the page or program. */
export function memoryStore(): ResumeStore & { readonly entries: Map<string, StoredUpload> } {
  const entries = new Map<string, StoredUpload>();
  return {
    entries,
    get: (key) => entries.get(key),
    set: (key, value) => {
      entries.set(key, value);
    },
    delete: (key) => {
      entries.delete(key);
    },
  };
}

/** A browser store in `localStorage` (or any Storage), one item per upload. */
export function localStorageStore(
  options: { storage?: Storage; prefix?: string } = {},
): ResumeStore {
  const prefix = options.prefix ?? 'upload-api:';
  const storage = () => {
    const found = options.storage ?? globalThis.localStorage;
    if (!found) throw new Error('localStorage is not available here');
    return found;
  };
  return {
    get(key) {
      const text = storage().getItem(prefix + key);
      if (text === null) return undefined;
      try {
        const value: unknown = JSON.parse(text);
        return isStoredUpload(value) ? value : undefined;
      } catch {
        return undefined;
      }
    },
    set(key, value) {
      storage().setItem(prefix + key, JSON.stringify(value));
    },
    delete(key) {
      storage().removeItem(prefix + key);
    },
  };
}
