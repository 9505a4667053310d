import type { UploadDeps } from '../deps.ts';
import {
  StorageUnavailableError,
  UploadError,
  UploadGoneError,
  validationError,
} from '../errors.ts';
import type { AssembledObject, StoredPart } from '../ports.ts';
import { type Reconciled, reconcileParts, validChunks } from '../reconcile.ts';
import { epochSeconds, type FileRecord, isOpen, type UploadSession } from '../session.ts';
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
  if (!chunks) return awaitCompletion(deps, session.id);

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

/**
 * Every chunk, as storage holds it, after the ledger has caught up; else CHUNKS_MISSING.
 * Undefined when another request completed the session since we read it: its answer is ours.
 */
async function presentChunks(
  deps: UploadDeps,
  session: UploadSession,
): Promise<ReadonlyMap<number, StoredPart> | undefined> {
  let reconciled: Reconciled;
  try {
    const parts = await deps.storage.listParts(session.key, session.uploadId);
    reconciled = await reconcileParts(deps, session, parts);
  } catch (error) {
    const stateChanged = error instanceof UploadError && error.code === 'INVALID_STATE';
    if (!(error instanceof UploadGoneError || stateChanged)) throw error;
    const current = await deps.ledger.getSession(session.id);
    if (current?.file || current?.status === 'completing') return undefined;
    if (error instanceof UploadGoneError) return afterUploadGone(deps, session, current, error);
    throw error;
  }
  const { chunks, missingChunks } = reconciled;
  if (missingChunks.length > 0) {
    throw new UploadError('CHUNKS_MISSING', `${missingChunks.length} chunk(s) are missing`, {
      missingChunks,
    });
  }
  return chunks;
}

/**
 * Storage no longer holds the upload and no other request is completing it: a cancel aborted
 * it, or an earlier attempt of ours assembled the object but lost the answer (no parts left to
 * assemble: finish from the object).
 */
async function afterUploadGone(
  deps: UploadDeps,
  session: UploadSession,
  current: UploadSession | undefined,
  gone: UploadGoneError,
): Promise<ReadonlyMap<number, StoredPart>> {
  if (current) assertOpen(current, deps.clock.now());
  if (await deps.storage.describeObject(session.key)) return new Map();
  throw new UploadError(
    'INVALID_STATE',
    'Storage no longer holds this upload',
    { status: 'failed' },
    { cause: gone },
  );
}

/**
 * Assembles the object and records the result. Only a request whose token still holds the
 * completion when it records reports the outcome and frees the slot; one that lost it (taken
 * over as stale) answers with what the ledger says.
 */
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
    if (!(error instanceof StorageUnavailableError)) throw error;
    // Hand the session back so that a retry completes it now, not once the completion is stale.
    // Lost: another request took the completion over as stale, and its result is the answer.
    if (await deps.ledger.abandonCompletion(session.id, token, deps.clock.now())) throw error;
    return awaitCompletion(deps, session.id);
  }
  const now = deps.clock.now();
  if (!object || object.size !== session.fileSize) {
    const reason = object
      ? `assembled object has ${object.size} bytes, expected ${session.fileSize}`
      : 'the multipart upload no longer exists in storage';
    if (object) await deps.storage.deleteObject(session.key);
    if (!(await deps.ledger.finishCompletion(session.id, token, { error: reason }, now))) {
      return awaitCompletion(deps, session.id);
    }
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
  let recorded: boolean;
  try {
    recorded = await deps.ledger.finishCompletion(session.id, token, { file, expiresAt }, now);
  } catch (error) {
    // The write may have landed (its answer lost): then the hand-back loses, and the retry this
    // error asks for reads the result from the ledger.
    if (error instanceof StorageUnavailableError)
      await deps.ledger.abandonCompletion(session.id, token, deps.clock.now()).catch(() => false);
    throw error;
  }
  if (!recorded) return awaitCompletion(deps, session.id);
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

/** Waits (boundedly) for the request running the completion and answers with its result. */
/**
 * The winner's answer. A session open again (the winner handed it back after a transient failure)
 * is worth another complete, so it answers COMPLETION_IN_PROGRESS with Retry-After, as racing
 * completes must; an ended one answers its state.
 */
async function awaitCompletion(deps: UploadDeps, sessionId: string): Promise<FileRecord> {
  const deadline = Date.now() + deps.policy.completionWaitMs;
  for (;;) {
    const session = await deps.ledger.getSession(sessionId);
    if (session?.file) return session.file;
    if (!session || isOpen(session, deps.clock.now())) break;
    if (session.status !== 'completing') throw stateError(session, deps.clock.now());
    if (Date.now() >= deadline) break;
    await deps.sleep(POLL_INTERVAL_MS);
  }
  throw new UploadError('COMPLETION_IN_PROGRESS', 'Completion is still running; retry shortly', {
    retryAfterSeconds: 2,
  });
}
