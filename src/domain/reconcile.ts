import { chunkNumberOf, expectedChunkSize, missingChunks } from './chunk-plan.ts';
import type { UploadDeps } from './deps.ts';
import { UploadError, UploadGoneError, WriteConflictError } from './errors.ts';
import type { StoredPart } from './ports.ts';
import type { UploadSession } from './session.ts';
import { assertOpen } from './session-guards.ts';

const MAX_ATTEMPTS = 5;

export interface Reconciled {
  readonly session: UploadSession;
  /** Storage's parts that are valid chunks of this session, by chunk number. */
  readonly chunks: ReadonlyMap<number, StoredPart>;
  readonly missingChunks: number[];
}

/** Storage's valid parts: the right part number range and exactly the chunk's expected size. */
export function validChunks(
  session: UploadSession,
  parts: readonly StoredPart[],
): Map<number, StoredPart> {
  const chunks = new Map<number, StoredPart>();
  for (const part of parts) {
    const chunkNumber = chunkNumberOf(part.partNumber);
    if (chunkNumber < 0 || chunkNumber >= session.totalChunks) continue;
    if (part.size === expectedChunkSize(session, chunkNumber)) chunks.set(chunkNumber, part);
  }
  return chunks;
}

/** Storage's parts; an upload gone from storage means the session ended under us (say, a cancel). */
async function partsInStorage(deps: UploadDeps, session: UploadSession): Promise<StoredPart[]> {
  try {
    return await deps.storage.listParts(session.key, session.uploadId);
  } catch (error) {
    if (!(error instanceof UploadGoneError)) throw error;
    const current = await deps.ledger.getSession(session.id);
    if (current) assertOpen(current, deps.clock.now());
    throw new UploadError(
      'INVALID_STATE',
      'Storage no longer holds this upload',
      { status: 'failed' },
      { cause: error },
    );
  }
}

/**
 * Brings the ledger up to what storage holds: a chunk PUT whose record call never arrived is
 * counted. Storage is the truth for what is missing.
 */
export async function reconcileWithStorage(
  deps: UploadDeps,
  session: UploadSession,
): Promise<Reconciled> {
  return reconcileParts(deps, session, await partsInStorage(deps, session));
}

/** Brings the ledger up to `parts`, the parts storage holds (already listed). */
export async function reconcileParts(
  deps: UploadDeps,
  initial: UploadSession,
  parts: readonly StoredPart[],
): Promise<Reconciled> {
  const chunks = validChunks(initial, parts);
  let session = initial;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const unrecorded = [...chunks.values()]
      .filter((part) => !session.uploadedChunks.has(chunkNumberOf(part.partNumber)))
      .map((part) => ({ chunkNumber: chunkNumberOf(part.partNumber), size: part.size }));
    if (unrecorded.length === 0) break;
    try {
      await deps.ledger.recordChunks(
        session.id,
        unrecorded,
        session.chunksUploaded,
        deps.clock.now(),
      );
    } catch (error) {
      if (!(error instanceof WriteConflictError)) throw error;
    }
    const current = await deps.ledger.getSession(session.id);
    if (!current) break;
    session = current;
    assertOpen(session, deps.clock.now());
  }
  return {
    session,
    chunks,
    missingChunks: missingChunks(session.totalChunks, new Set(chunks.keys())),
  };
}
