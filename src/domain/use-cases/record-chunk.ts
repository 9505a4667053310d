import { expectedChunkSize, partNumberOf } from '../chunk-plan.ts';
import type { UploadDeps } from '../deps.ts';
import { sessionNotFound, UploadError, UploadGoneError } from '../errors.ts';
import type { StoredPart } from '../ports.ts';
import type { UploadSession } from '../session.ts';
import { assertChunkNumber, assertOpen, loadOwnedSession, stateError } from '../session-guards.ts';

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

export async function recordChunk(
  deps: UploadDeps,
  input: RecordChunkInput,
): Promise<RecordedChunk> {
  const session = await loadOwnedSession(deps, input.sessionId, input.userId);
  assertOpen(session, deps.clock.now());
  assertChunkNumber(session, input.chunkNumber, 'chunkNumber');

  const part = await findStoredPart(deps, session, input.chunkNumber);
  verifyPart(session, part, input);

  const outcome = await deps.ledger.recordChunk(
    session.id,
    { chunkNumber: input.chunkNumber, size: part.size },
    deps.clock.now(),
  );
  const totals =
    outcome.kind === 'recorded'
      ? outcome
      : totalsOfRepeat(outcome.session, input.chunkNumber, deps);
  return {
    chunkNumber: input.chunkNumber,
    size: part.size,
    etag: part.etag,
    checksum: part.checksumSha256 ?? null,
    storageKey: session.key,
    uploadedAt: part.lastModified.toISOString(),
    uploadedBytes: totals.uploadedBytes,
    chunksUploaded: totals.chunksUploaded,
    totalChunks: session.totalChunks,
  };
}

async function findStoredPart(
  deps: UploadDeps,
  session: UploadSession,
  chunkNumber: number,
): Promise<StoredPart> {
  try {
    const part = await deps.storage.findPart(
      session.key,
      session.uploadId,
      partNumberOf(chunkNumber),
    );
    if (part) return part;
  } catch (error) {
    if (!(error instanceof UploadGoneError)) throw error;
    // The upload vanished under us: most likely a concurrent cancel. Report the session's state.
    const current = await deps.ledger.getSession(session.id);
    if (current) assertOpen(current, deps.clock.now());
  }
  throw new UploadError('CHUNK_NOT_UPLOADED', `Chunk ${chunkNumber} is not in storage`, {
    chunkNumber,
  });
}

function verifyPart(session: UploadSession, part: StoredPart, input: RecordChunkInput): void {
  const expected = expectedChunkSize(session, input.chunkNumber);
  if (part.size !== expected) {
    throw new UploadError(
      'CHUNK_SIZE_MISMATCH',
      `Stored chunk has ${part.size} bytes, expected ${expected}`,
      {
        chunkNumber: input.chunkNumber,
        expectedSize: expected,
        actualSize: part.size,
      },
    );
  }
  if (normalizeEtag(part.etag) !== normalizeEtag(input.etag)) {
    throw new UploadError('ETAG_MISMATCH', 'Stored chunk has a different ETag', {
      chunkNumber: input.chunkNumber,
      field: 'etag',
    });
  }
  if (input.checksumSha256 && part.checksumSha256 && part.checksumSha256 !== input.checksumSha256) {
    throw new UploadError('ETAG_MISMATCH', 'Stored chunk has a different SHA-256 checksum', {
      chunkNumber: input.chunkNumber,
      field: 'checksumSha256',
    });
  }
}

/** A rejected ledger write is a harmless repeat when the bitmap already holds the chunk. */
function totalsOfRepeat(
  session: UploadSession | undefined,
  chunkNumber: number,
  deps: UploadDeps,
): { uploadedBytes: number; chunksUploaded: number } {
  if (!session) throw sessionNotFound();
  if (session.uploadedChunks.has(chunkNumber)) return session;
  throw stateError(session, deps.clock.now());
}

export const normalizeEtag = (etag: string): string =>
  etag.trim().replace(/^W\//, '').replace(/"/g, '');
