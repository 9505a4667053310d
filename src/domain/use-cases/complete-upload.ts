import type { UploadDeps } from '../deps.ts';
import {
  StorageUnavailableError,
  UploadError,
  UploadGoneError,
  validationError,
} from '../errors.ts';
import type { AssembledObject, StoredPart } from '../ports.ts';
import { reconcileWithStorage, validChunks } from '../reconcile.ts';
import { epochSeconds, type FileRecord, type UploadSession } from '../session.ts';
import { assertOpen, loadOwnedSession, stateError } from '../session-guards.ts';

export interface CompleteUploadInput {
  readonly userId: string;
  readonly sessionId: string;
  readonly fileSha256?: string;
}

const POLL_INTERVAL_MS = 100;

/**
 * Assembles the object exactly once: a conditional write elects one request to run the
 * completion; every other request waits for its result and answers with the same body.
 */
export async function completeUpload(
  deps: UploadDeps,
  input: CompleteUploadInput,
): Promise<FileRecord> {
  const session = await loadOwnedSession(deps, input.sessionId, input.userId);
  if (session.file) return session.file;
  const now = deps.clock.now();
  const staleBefore = new Date(now.getTime() - deps.policy.completionStaleSeconds * 1000);
  const takeover = session.status === 'completing';
  if (takeover && !isStale(session, staleBefore)) return awaitCompletion(deps, session.id);
  if (!takeover) assertOpen(session, now);
  if (input.fileSha256 && session.fileSha256 && input.fileSha256 !== session.fileSha256) {
    throw validationError('fileSha256', 'fileSha256 differs from the one given at initiate');
  }

  const chunks = takeover ? await partsLeftBy(deps, session) : await presentChunks(deps, session);

  const token = deps.ids.newId();
  // Listing the parts takes time: the election must be judged against the clock as it is now.
  const electedAt = deps.clock.now();
  const keepUntil = completingUntil(session, electedAt, deps.policy.completionStaleSeconds);
  if (!(await deps.ledger.beginCompletion(session.id, token, electedAt, staleBefore, keepUntil))) {
    return awaitCompletion(deps, session.id);
  }
  const parts = [...chunks.values()].sort((a, b) => a.partNumber - b.partNumber);
  return runCompletion(deps, session, token, parts, input.fileSha256 ?? session.fileSha256);
}

/**
 * The expiry a `completing` session gets: TTL must not delete it (and the cleanup abort its upload)
 * while a completion elected before expiresAt is still assembling it.
 */
export const completingUntil = (
  session: UploadSession,
  electedAt: Date,
  completionStaleSeconds: number,
): number => Math.max(session.expiresAt, epochSeconds(electedAt) + completionStaleSeconds);

const isStale = (session: UploadSession, staleBefore: Date): boolean =>
  !session.completingSince || Date.parse(session.completingSince) < staleBefore.getTime();

/** The parts a crashed completion left behind; none when it got as far as assembling the object. */
async function partsLeftBy(
  deps: UploadDeps,
  session: UploadSession,
): Promise<ReadonlyMap<number, StoredPart>> {
  try {
    return validChunks(session, await deps.storage.listParts(session.key, session.uploadId));
  } catch (error) {
    if (error instanceof UploadGoneError) return new Map();
    throw error;
  }
}

/** Every chunk, as storage holds it, after the ledger has caught up; else CHUNKS_MISSING. */
async function presentChunks(
  deps: UploadDeps,
  session: UploadSession,
): Promise<ReadonlyMap<number, StoredPart>> {
  const { chunks, missingChunks } = await reconcileWithStorage(deps, session).catch(
    async (error: unknown) => {
      // An earlier attempt assembled the object but lost the answer: finish from the object.
      if (!(error instanceof UploadError && error.cause instanceof UploadGoneError)) throw error;
      if (!(await deps.storage.describeObject(session.key))) throw error;
      return { chunks: new Map<number, StoredPart>(), missingChunks: [] };
    },
  );
  if (missingChunks.length > 0) {
    throw new UploadError('CHUNKS_MISSING', `${missingChunks.length} chunk(s) are missing`, {
      missingChunks,
    });
  }
  return chunks;
}

async function runCompletion(
  deps: UploadDeps,
  session: UploadSession,
  token: string,
  parts: StoredPart[],
  fileSha256: string | undefined,
): Promise<FileRecord> {
  let object: AssembledObject | undefined;
  try {
    object = await assemble(deps, session, parts);
  } catch (error) {
    if (error instanceof StorageUnavailableError) {
      await deps.ledger.abandonCompletion(session.id, token, deps.clock.now());
    }
    throw error;
  }
  const now = deps.clock.now();
  if (!object || object.size !== session.fileSize) {
    const reason = object
      ? `assembled object has ${object.size} bytes, expected ${session.fileSize}`
      : 'the multipart upload no longer exists in storage';
    if (object) await deps.storage.deleteObject(session.key);
    await deps.ledger.finishCompletion(session.id, token, { error: reason }, now);
    deps.events.failed();
    await deps.ledger.releaseLiveSlot(session.userId, session.id);
    throw new UploadError('INVALID_STATE', `Upload failed: ${reason}`, {
      status: 'failed',
      error: reason,
    });
  }
  const file: FileRecord = {
    id: session.fileId,
    sessionId: session.id,
    name: session.fileName,
    size: object.size,
    contentType: session.contentType,
    status: 'uploaded',
    uploadedAt: now.toISOString(),
    checksum: object.checksum,
    etag: object.etag,
    key: session.key,
    metadata: session.metadata,
    ...(fileSha256 ? { fileSha256 } : {}),
  };
  const expiresAt = epochSeconds(now) + deps.policy.uploadedRetentionSeconds;
  try {
    await deps.ledger.finishCompletion(session.id, token, { file, expiresAt }, now);
  } catch (error) {
    // Hand the session back so that a retry finishes it now, not once the completion is stale.
    if (error instanceof StorageUnavailableError) {
      await deps.ledger.abandonCompletion(session.id, token, deps.clock.now()).catch(() => {});
    }
    throw error;
  }
  deps.events.completed(file.size);
  await deps.ledger.releaseLiveSlot(session.userId, session.id);
  return file;
}

/** Completes the multipart upload; an upload already gone may have been assembled by a crashed winner. */
async function assemble(
  deps: UploadDeps,
  session: UploadSession,
  parts: StoredPart[],
): Promise<AssembledObject | undefined> {
  try {
    // No parts: an earlier attempt already completed the upload (its answer was lost).
    if (parts.length > 0)
      await deps.storage.completeMultipartUpload(session.key, session.uploadId, parts);
  } catch (error) {
    if (!(error instanceof UploadGoneError)) throw error;
  }
  return deps.storage.describeObject(session.key);
}

async function awaitCompletion(deps: UploadDeps, sessionId: string): Promise<FileRecord> {
  const deadline = Date.now() + deps.policy.completionWaitMs;
  while (Date.now() < deadline) {
    await deps.sleep(POLL_INTERVAL_MS);
    const session = await deps.ledger.getSession(sessionId);
    if (!session) break;
    if (session.file) return session.file;
    if (session.status !== 'completing') throw stateError(session, deps.clock.now());
  }
  throw new UploadError('COMPLETION_IN_PROGRESS', 'Completion is still running; retry shortly', {
    retryAfterSeconds: 2,
  });
}
