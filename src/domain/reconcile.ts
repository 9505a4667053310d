import { chunkNumberOf, expectedChunkSize, missingChunks } from './chunk-plan.ts';
import type { UploadDeps } from './deps.ts';
import { sessionNotFound, UploadError, UploadGoneError } from './errors.ts';
import { sameEtag } from './etag.ts';
import type { ChunkEntry, StoredPart } from './ports.ts';
import type { UploadSession } from './session.ts';
import { assertOpen } from './session-guards.ts';

/** How the ledger's recorded chunks compare with the parts storage holds. */
export interface LedgerCheck {
  /** Recorded chunks whose part storage still holds with the recorded ETag. */
  readonly intact: ChunkEntry[];
  /** Recorded chunks whose part is gone or was overwritten since it was recorded. */
  readonly changed: ChunkEntry[];
  /** Storage's parts of the right number and size that the ledger never recorded. */
  readonly unrecorded: ChunkEntry[];
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

export function checkLedger(
  session: UploadSession,
  recorded: ReadonlyMap<number, ChunkEntry>,
  parts: readonly StoredPart[],
): LedgerCheck {
  const stored = new Map(parts.map((part) => [chunkNumberOf(part.partNumber), part]));
  const intact: ChunkEntry[] = [];
  const changed: ChunkEntry[] = [];
  for (const entry of recorded.values()) {
    const part = stored.get(entry.chunkNumber);
    const same =
      part !== undefined &&
      sameEtag(part.etag, entry.etag) &&
      (!part.checksumSha256 ||
        !entry.checksumSha256 ||
        part.checksumSha256 === entry.checksumSha256);
    (same ? intact : changed).push(entry);
  }
  const unrecorded = [...validChunks(session, parts)]
    .filter(([chunkNumber]) => !recorded.has(chunkNumber))
    .map(([chunkNumber, part]) => entryOf(chunkNumber, part));
  return { intact, changed, unrecorded };
}

export const entryOf = (chunkNumber: number, part: StoredPart): ChunkEntry => ({
  chunkNumber,
  size: part.size,
  etag: part.etag,
  ...(part.checksumSha256 ? { checksumSha256: part.checksumSha256 } : {}),
});

/** Storage's parts; an upload gone from storage means the session ended under us (say, a cancel). */
async function partsInStorage(deps: UploadDeps, session: UploadSession): Promise<StoredPart[]> {
  try {
    return await deps.storage.listParts(session.key, session.uploadId);
  } catch (error) {
    if (!(error instanceof UploadGoneError)) throw error;
    await reloadOpen(deps, session.id);
    throw new UploadError(
      'INVALID_STATE',
      'Storage no longer holds this upload',
      { status: 'failed' },
      { cause: error },
    );
  }
}

const totalsOf = (t: { uploadedBytes: number; chunksUploaded: number }) => ({
  uploadedBytes: t.uploadedBytes,
  chunksUploaded: t.chunksUploaded,
});

/** The session as it is now; throws the contract's error unless it is still open. */
export async function reloadOpen(deps: UploadDeps, sessionId: string): Promise<UploadSession> {
  const current = await deps.ledger.getSession(sessionId);
  if (!current) throw sessionNotFound();
  assertOpen(current, deps.clock.now());
  return current;
}

/**
 * Brings the ledger to what storage holds: a recorded chunk whose part changed or vanished is
 * dropped and missing; a part PUT whose record call never arrived is counted (verified by its
 * size, with the ETag storage reports). The ledger is read before storage is listed, so a change
 * seen here happened after the chunk was recorded.
 */
export async function reconcileWithStorage(
  deps: UploadDeps,
  session: UploadSession,
): Promise<{ session: UploadSession; missingChunks: number[] }> {
  const recorded = await deps.ledger.readChunks(session.id);
  const check = checkLedger(session, recorded, await partsInStorage(deps, session));
  let current = session;
  if (check.changed.length > 0) {
    await deps.ledger.dropChunks(session.id, check.changed, deps.clock.now());
    current = await reloadOpen(deps, session.id);
  }
  if (check.unrecorded.length > 0) {
    const now = deps.clock.now();
    const outcome = await deps.ledger.recordChunks(session, check.unrecorded, now, 'keep');
    if (outcome.kind === 'rejected') await reloadOpen(deps, session.id);
    else current = { ...current, status: 'uploading', ...totalsOf(outcome) };
  }
  const present = new Set([...check.intact, ...check.unrecorded].map((c) => c.chunkNumber));
  return { session: current, missingChunks: missingChunks(session.totalChunks, present) };
}
