import { chunkNumberOf, expectedChunkSize, MAX_RECORD_BATCH, partNumberOf } from '../chunk-plan.ts';
import type { UploadDeps } from '../deps.ts';
import { sessionNotFound, UploadError, UploadGoneError, validationError } from '../errors.ts';
import { sameEtag } from '../etag.ts';
import type { ChunkEntry, StoredPart } from '../ports.ts';
import { entryOf } from '../reconcile.ts';
import type { UploadSession } from '../session.ts';
import { assertChunkNumber, assertOpen, loadOwnedSession, stateError } from '../session-guards.ts';

/** A chunk the client PUT, with the ETag storage answered (quotes allowed). */
export interface ChunkReport {
  readonly chunkNumber: number;
  readonly etag: string;
  readonly checksumSha256?: string;
}

export interface BatchRecordedChunk {
  readonly chunkNumber: number;
  readonly size: number;
  readonly etag: string;
  readonly checksum: string | null;
  readonly uploadedAt: string;
}

export interface RejectedChunk {
  readonly chunkNumber: number;
  readonly code: UploadError['code'];
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

export interface RecordedChunks {
  readonly recorded: BatchRecordedChunk[];
  readonly rejected: RejectedChunk[];
  readonly uploadedBytes: number;
  readonly chunksUploaded: number;
  readonly totalChunks: number;
}

/** What a record did, for the batch route and the single one alike. */
export interface RecordResult {
  readonly session: UploadSession;
  readonly recorded: BatchRecordedChunk[];
  /** Entries storage does not hold as reported, each with the error the single route answers. */
  readonly rejected: { readonly chunkNumber: number; readonly error: UploadError }[];
  readonly uploadedBytes: number;
  readonly chunksUploaded: number;
}

/**
 * Verifies each reported chunk against storage (one ListParts range for the whole batch) and
 * records the verified ones in one ledger write. Errors about the session answer for the batch.
 */
export async function recordReportedChunks(
  deps: UploadDeps,
  input: { userId: string; sessionId: string; chunks: readonly ChunkReport[] },
  field: (index: number) => string = (i) => `chunks[${i}].chunkNumber`,
): Promise<RecordResult> {
  const session = await loadOwnedSession(deps, input.sessionId, input.userId);
  assertOpen(session, deps.clock.now());
  assertBatch(session, input.chunks, field);

  const parts = await findStoredParts(deps, session, input.chunks);
  const verified: { entry: ChunkEntry; part: StoredPart }[] = [];
  const rejected: RecordResult['rejected'][number][] = [];
  for (const report of input.chunks) {
    const checked = verifyPart(session, report, parts.get(report.chunkNumber));
    if ('error' in checked)
      rejected.push({ chunkNumber: report.chunkNumber, error: checked.error });
    else verified.push({ entry: entryOf(report.chunkNumber, checked.part), part: checked.part });
  }
  if (verified.length === 0) return { session, recorded: [], rejected, ...totalsOf(session) };

  const outcome = await deps.ledger.recordChunks(
    session,
    verified.map((v) => v.entry),
    deps.clock.now(),
    'replace',
  );
  if (outcome.kind === 'rejected') {
    if (!outcome.session) throw sessionNotFound();
    throw stateError(outcome.session, deps.clock.now());
  }
  return {
    session,
    recorded: verified.map(({ entry, part }) => ({
      chunkNumber: entry.chunkNumber,
      size: part.size,
      etag: part.etag,
      checksum: part.checksumSha256 ?? null,
      uploadedAt: part.lastModified.toISOString(),
    })),
    rejected,
    ...totalsOf(outcome),
  };
}

/** PUT /uploads/{id}/chunks: the batch route's answer. */
export async function recordChunks(
  deps: UploadDeps,
  input: { userId: string; sessionId: string; chunks: readonly ChunkReport[] },
): Promise<RecordedChunks> {
  const result = await recordReportedChunks(deps, input);
  return {
    recorded: result.recorded,
    rejected: result.rejected.map(({ chunkNumber, error }) => ({
      chunkNumber,
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    })),
    uploadedBytes: result.uploadedBytes,
    chunksUploaded: result.chunksUploaded,
    totalChunks: result.session.totalChunks,
  };
}

const totalsOf = (t: { uploadedBytes: number; chunksUploaded: number }) => ({
  uploadedBytes: t.uploadedBytes,
  chunksUploaded: t.chunksUploaded,
});

function assertBatch(
  session: UploadSession,
  chunks: readonly ChunkReport[],
  field: (index: number) => string,
): void {
  if (chunks.length < 1 || chunks.length > MAX_RECORD_BATCH)
    throw validationError('chunks', `must hold 1 to ${MAX_RECORD_BATCH} entries`);
  const seen = new Set<number>();
  chunks.forEach((chunk, i) => {
    assertChunkNumber(session, chunk.chunkNumber, field(i));
    if (seen.has(chunk.chunkNumber))
      throw validationError(field(i), `chunk ${chunk.chunkNumber} appears more than once`);
    seen.add(chunk.chunkNumber);
  });
}

/** The reported chunks' parts; an upload gone from storage holds none (unless the session ended). */
async function findStoredParts(
  deps: UploadDeps,
  session: UploadSession,
  chunks: readonly ChunkReport[],
): Promise<Map<number, StoredPart>> {
  try {
    const parts = await deps.storage.findParts(
      session.key,
      session.uploadId,
      chunks.map((c) => partNumberOf(c.chunkNumber)),
    );
    return new Map([...parts.values()].map((part) => [chunkNumberOf(part.partNumber), part]));
  } catch (error) {
    if (!(error instanceof UploadGoneError)) throw error;
    // The upload vanished under us: most likely a concurrent cancel. Report the session's state.
    const current = await deps.ledger.getSession(session.id);
    if (current) assertOpen(current, deps.clock.now());
    return new Map();
  }
}

const notUploaded = (chunkNumber: number) =>
  new UploadError('CHUNK_NOT_UPLOADED', `Chunk ${chunkNumber} is not in storage`, { chunkNumber });

/** The stored part when it is the reported chunk (right size, ETag and checksum), else why not. */
function verifyPart(
  session: UploadSession,
  report: ChunkReport,
  part: StoredPart | undefined,
): { part: StoredPart } | { error: UploadError } {
  const { chunkNumber } = report;
  if (!part) return { error: notUploaded(chunkNumber) };
  const expected = expectedChunkSize(session, chunkNumber);
  if (part.size !== expected) {
    const message = `Stored chunk has ${part.size} bytes, expected ${expected}`;
    const details = { chunkNumber, expectedSize: expected, actualSize: part.size };
    return { error: new UploadError('CHUNK_SIZE_MISMATCH', message, details) };
  }
  if (!sameEtag(part.etag, report.etag)) {
    const details = { chunkNumber, field: 'etag' };
    return {
      error: new UploadError('ETAG_MISMATCH', 'Stored chunk has a different ETag', details),
    };
  }
  if (
    report.checksumSha256 &&
    part.checksumSha256 &&
    part.checksumSha256 !== report.checksumSha256
  ) {
    const message = 'Stored chunk has a different SHA-256 checksum';
    const details = { chunkNumber, field: 'checksumSha256' };
    return { error: new UploadError('ETAG_MISMATCH', message, details) };
  }
  return { part };
}
