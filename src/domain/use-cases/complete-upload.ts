import { type Assembly, assemblyOf, recordedParts } from '../completion-parts.ts';
import type { UploadDeps } from '../deps.ts';
import {
  PartsChangedError,
  StorageUnavailableError,
  UploadError,
  UploadGoneError,
  validationError,
} from '../errors.ts';
import type { AssembledObject } from '../ports.ts';
import {
  epochSeconds,
  type FileRecord,
  isOpen,
  NEVER_EXPIRES,
  type UploadSession,
} from '../session.ts';
import { assertOpen, loadOwnedSession, stateError } from '../session-guards.ts';

export interface CompleteUploadInput {
  readonly userId: string;
  readonly sessionId: string;
  readonly fileSha256?: string;
}

const POLL_INTERVAL_MS = 100;
/** Assemblies storage may refuse because a part changed while the ledger had not caught up yet. */
const ASSEMBLY_ATTEMPTS = 3;
/** The completion was handed back because storage refused the recorded parts: look again. */
const PARTS_CHANGED = Symbol('parts changed');

/**
 * Assembles the object exactly once, from exactly the chunks the ledger recorded: a conditional
 * write elects one request to run the completion; every other request waits for its result and
 * answers with the same body.
 */
export async function completeUpload(
  deps: UploadDeps,
  input: CompleteUploadInput,
): Promise<FileRecord> {
  for (let attempt = 1; attempt <= ASSEMBLY_ATTEMPTS; attempt++) {
    const session = await loadOwnedSession(deps, input.sessionId, input.userId);
    const file = await completeOnce(deps, session, input);
    if (file !== PARTS_CHANGED) return file;
  }
  throw new StorageUnavailableError('S3', {
    cause: new PartsChangedError('Storage kept refusing the recorded parts'),
  });
}

async function completeOnce(
  deps: UploadDeps,
  session: UploadSession,
  input: CompleteUploadInput,
): Promise<FileRecord | typeof PARTS_CHANGED> {
  if (session.file) return session.file;
  const now = deps.clock.now();
  const staleBefore = new Date(now.getTime() - deps.policy.completionStaleSeconds * 1000);
  const takeover = session.status === 'completing';
  if (takeover && !isStale(session, staleBefore)) return awaitCompletion(deps, session.id);
  if (!takeover) assertOpen(session, now);
  if (input.fileSha256 && session.fileSha256 && input.fileSha256 !== session.fileSha256) {
    throw validationError('fileSha256', 'fileSha256 differs from the one given at initiate');
  }

  const assembly = takeover
    ? assemblyOf((await deps.ledger.readChunks(session.id)).values())
    : await recordedParts(deps, session);
  if (!assembly) return awaitCompletion(deps, session.id);

  const token = deps.ids.newId();
  // Listing the parts takes time: the election must be judged against the clock as it is now.
  const electedAt = deps.clock.now();
  const keepUntil = completingUntil(session, electedAt, deps.policy.completionStaleSeconds);
  if (!(await deps.ledger.beginCompletion(session.id, token, electedAt, staleBefore, keepUntil))) {
    return awaitCompletion(deps, session.id);
  }
  return runCompletion(deps, session, token, assembly, input.fileSha256 ?? session.fileSha256);
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

/**
 * Assembles the object and records the result. Only a request whose token still holds the
 * completion when it records reports the outcome and frees the slot; one that lost it (taken
 * over as stale) answers with what the ledger says.
 */
async function runCompletion(
  deps: UploadDeps,
  session: UploadSession,
  token: string,
  assembly: Assembly,
  fileSha256: string | undefined,
): Promise<FileRecord | typeof PARTS_CHANGED> {
  let object: AssembledObject | undefined;
  try {
    object = await assemble(deps, session, assembly);
  } catch (error) {
    // A part was overwritten after it was listed: hand the session back and look again, so the
    // changed chunk is dropped and reported missing (never assembled, never a stuck completion).
    if (error instanceof PartsChangedError) {
      if (await deps.ledger.abandonCompletion(session.id, token, deps.clock.now()))
        return PARTS_CHANGED;
      return awaitCompletion(deps, session.id);
    }
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
  const retention = deps.policy.uploadedRetentionSeconds;
  const expiresAt = retention === undefined ? NEVER_EXPIRES : epochSeconds(now) + retention;
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
  assembly: Assembly,
): Promise<AssembledObject | undefined> {
  try {
    if (assembly.kind === 'parts') {
      // A ledger short of a chunk (a takeover's) cannot make the file: look again like for a change.
      if (assembly.parts.length !== session.totalChunks)
        throw new PartsChangedError('The ledger no longer holds every chunk');
      await deps.storage.completeMultipartUpload(session.key, session.uploadId, assembly.parts);
    }
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
