import type { FileRecord, UploadSession } from '../domain/session.ts';

/** Key layout of the single table. Every item of a session carries `expiresAt` for TTL. */
export const keys = {
  session: (id: string) => ({ PK: `SESSION#${id}`, SK: 'SESSION' }),
  /** A page of the session's recorded chunks (see dynamo-chunk-pages.ts). */
  chunkPage: (id: string, page: number) => ({
    PK: `SESSION#${id}`,
    SK: `${CHUNK_PAGE_PREFIX}${String(page).padStart(4, '0')}`,
  }),
  liveSlots: (userId: string) => ({ PK: `USER#${userId}`, SK: 'LIVE' }),
  idempotency: (userId: string, key: string) => ({
    PK: `USER#${userId}`,
    SK: `IDEMPOTENCY#${key}`,
  }),
  fileAlias: (userId: string, alias: string) => ({ PK: `USER#${userId}`, SK: `FILE#${alias}` }),
  userIndex: (userId: string) => `USER#${userId}`,
  userIndexSort: (createdAt: string, id: string) => `${createdAt}#${id}`,
};

export const CHUNK_PAGE_PREFIX = 'CHUNKS#';

export const USER_INDEX = 'GSI1';

/**
 * Attributes the user index projects, for the deployed table and the local one alike: everything
 * toSessionView and the list filters use (status, expiresAt), plus userId. The file record and
 * internal tokens stay out, and so do `updatedAt` and `lastChunkAt`, so that recording a chunk
 * rewrites the index entry only when a projected total changes.
 */
export const USER_INDEX_ATTRIBUTES = [
  'id',
  'userId',
  'fileId',
  'fileName',
  'fileSize',
  'contentType',
  'chunkSize',
  'totalChunks',
  'checksumMode',
  'metadata',
  'key',
  'status',
  'createdAt',
  'expiresAt',
  'uploadedBytes',
  'chunksUploaded',
  'error',
] as const;

type Item = Record<string, unknown>;

export function toSessionItem(session: UploadSession): Item {
  return {
    ...keys.session(session.id),
    GSI1PK: keys.userIndex(session.userId),
    GSI1SK: keys.userIndexSort(session.createdAt, session.id),
    entity: 'session',
    ...session,
  };
}

export function fromSessionItem(item: Item): UploadSession {
  return {
    id: item.id as string,
    userId: item.userId as string,
    fileId: item.fileId as string,
    fileName: item.fileName as string,
    fileSize: item.fileSize as number,
    contentType: item.contentType as string,
    chunkSize: item.chunkSize as number,
    totalChunks: item.totalChunks as number,
    checksumMode: item.checksumMode as UploadSession['checksumMode'],
    metadata: (item.metadata as Record<string, string> | undefined) ?? {},
    key: item.key as string,
    uploadId: item.uploadId as string,
    status: item.status as UploadSession['status'],
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    expiresAt: item.expiresAt as number,
    uploadedBytes: (item.uploadedBytes as number | undefined) ?? 0,
    chunksUploaded: (item.chunksUploaded as number | undefined) ?? 0,
    ...optional(item, 'fileSha256', 'lastChunkAt', 'completingSince', 'completionToken', 'error'),
    ...optional(item, 'idempotencyKey', 'requestFingerprint'),
    ...(item.file ? { file: item.file as FileRecord } : {}),
  };
}

function optional(item: Item, ...names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) if (typeof item[name] === 'string') out[name] = item[name];
  return out;
}
