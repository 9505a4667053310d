import type { FileRecord, UploadSession } from '../domain/session.ts';

/** Key layout of the single table. Every item of a session carries `expiresAt` for TTL. */
export const keys = {
  session: (id: string) => ({ PK: `SESSION#${id}`, SK: 'SESSION' }),
  liveSlots: (userId: string) => ({ PK: `USER#${userId}`, SK: 'LIVE' }),
  idempotency: (userId: string, key: string) => ({
    PK: `USER#${userId}`,
    SK: `IDEMPOTENCY#${key}`,
  }),
  fileAlias: (userId: string, alias: string) => ({ PK: `USER#${userId}`, SK: `FILE#${alias}` }),
  userIndex: (userId: string) => `USER#${userId}`,
  userIndexSort: (createdAt: string, id: string) => `${createdAt}#${id}`,
};

export const USER_INDEX = 'GSI1';

type Item = Record<string, unknown>;

export function toSessionItem(session: UploadSession): Item {
  const { uploadedChunks, ...rest } = session;
  return {
    ...keys.session(session.id),
    GSI1PK: keys.userIndex(session.userId),
    GSI1SK: keys.userIndexSort(session.createdAt, session.id),
    entity: 'session',
    ...rest,
    // DynamoDB has no empty sets: the bitmap attribute appears with the first chunk.
    ...(uploadedChunks.size > 0 ? { uploadedChunks: new Set(uploadedChunks) } : {}),
  };
}

export function fromSessionItem(item: Item): UploadSession {
  const chunks = item.uploadedChunks as Set<number> | undefined;
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
    uploadedChunks: new Set([...(chunks ?? [])].map(Number)),
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
