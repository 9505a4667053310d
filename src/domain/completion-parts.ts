import { missingChunks, partNumberOf } from './chunk-plan.ts';
import type { UploadDeps } from './deps.ts';
import { sessionNotFound, UploadError, UploadGoneError } from './errors.ts';
import type { AssemblyPart, ChunkEntry, StoredPart } from './ports.ts';
import { checkLedger } from './reconcile.ts';
import type { UploadSession } from './session.ts';
import { assertOpen, stateError } from './session-guards.ts';

/**
 * What a completion assembles: every chunk with the ETag and checksum the ledger recorded, or
 * nothing when storage no longer holds the upload because an earlier attempt assembled it.
 */
export type Assembly =
  | { readonly kind: 'parts'; readonly parts: readonly AssemblyPart[] }
  | { readonly kind: 'assembled' };

export const assemblyOf = (chunks: Iterable<ChunkEntry>): Assembly => ({
  kind: 'parts',
  parts: [...chunks]
    .sort((a, b) => a.chunkNumber - b.chunkNumber)
    .map((c) => ({
      partNumber: partNumberOf(c.chunkNumber),
      etag: c.etag,
      ...(c.checksumSha256 ? { checksumSha256: c.checksumSha256 } : {}),
    })),
});

/**
 * Every chunk of an open session as recorded, once storage is seen to hold each one unchanged.
 * A recorded chunk whose part changed or vanished is dropped from the ledger and, with every
 * chunk never recorded, answered as CHUNKS_MISSING. Undefined when another request completed
 * (or is completing) the session since we read it: its answer is ours.
 */
export async function recordedParts(
  deps: UploadDeps,
  session: UploadSession,
): Promise<Assembly | undefined> {
  // The ledger is read first: a part that differs from its entry changed after it was recorded.
  const recorded = await deps.ledger.readChunks(session.id);
  let parts: StoredPart[];
  try {
    parts = await deps.storage.listParts(session.key, session.uploadId);
  } catch (error) {
    if (!(error instanceof UploadGoneError)) throw error;
    const current = await deps.ledger.getSession(session.id);
    if (current?.file || current?.status === 'completing') return undefined;
    return afterUploadGone(deps, session, current, error);
  }
  const { intact, changed } = checkLedger(session, recorded, parts);
  if (
    changed.length > 0 &&
    !(await deps.ledger.dropChunks(session.id, changed, deps.clock.now()))
  ) {
    const current = await deps.ledger.getSession(session.id);
    if (current?.file || current?.status === 'completing') return undefined;
    throw current ? stateError(current, deps.clock.now()) : sessionNotFound();
  }
  const missing = missingChunks(session.totalChunks, new Set(intact.map((c) => c.chunkNumber)));
  if (missing.length > 0) {
    // A listing that outlasted the session answers that, not what it would have missed.
    assertOpen(session, deps.clock.now());
    throw new UploadError('CHUNKS_MISSING', `${missing.length} chunk(s) are missing`, {
      missingChunks: missing,
    });
  }
  return assemblyOf(intact);
}

/**
 * Storage no longer holds the upload and no other request is completing it: a cancel aborted
 * it, or an earlier attempt of ours assembled the object but lost the answer (finish from the
 * object).
 */
async function afterUploadGone(
  deps: UploadDeps,
  session: UploadSession,
  current: UploadSession | undefined,
  gone: UploadGoneError,
): Promise<Assembly> {
  if (current) assertOpen(current, deps.clock.now());
  if (await deps.storage.describeObject(session.key)) return { kind: 'assembled' };
  throw new UploadError(
    'INVALID_STATE',
    'Storage no longer holds this upload',
    { status: 'failed' },
    { cause: gone },
  );
}
