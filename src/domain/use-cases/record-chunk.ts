import type { UploadDeps } from '../deps.ts';
import { type RecordedChunks, recordReportedChunks } from './record-chunks.ts';

export { normalizeEtag } from '../etag.ts';

export interface RecordChunkInput {
  readonly userId: string;
  readonly sessionId: string;
  readonly chunkNumber: number;
  readonly etag: string;
  readonly checksumSha256?: string;
}

export interface RecordedChunk {
  readonly chunkNumber: number;
  readonly size: number;
  readonly etag: string;
  readonly checksum: string | null;
  readonly storageKey: string;
  readonly uploadedAt: string;
  readonly uploadedBytes: number;
  readonly chunksUploaded: number;
  readonly totalChunks: number;
}

/** PUT /uploads/{id}/chunks/{chunkNumber}: a batch of one, answering its own shape. */
export async function recordChunk(
  deps: UploadDeps,
  input: RecordChunkInput,
): Promise<RecordedChunk> {
  const { userId, sessionId, chunkNumber, etag, checksumSha256 } = input;
  const result = await recordReportedChunks(
    deps,
    {
      userId,
      sessionId,
      chunks: [{ chunkNumber, etag, ...(checksumSha256 ? { checksumSha256 } : {}) }],
    },
    () => 'chunkNumber',
  );
  const [rejected] = result.rejected;
  if (rejected) throw rejected.error;
  const [recorded] = result.recorded as [RecordedChunks['recorded'][number]];
  return {
    ...recorded,
    storageKey: result.session.key,
    uploadedBytes: result.uploadedBytes,
    chunksUploaded: result.chunksUploaded,
    totalChunks: result.session.totalChunks,
  };
}
