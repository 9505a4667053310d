import { createHash } from 'node:crypto';
import { planChunks } from '../chunk-plan.ts';
import type { UploadDeps } from '../deps.ts';
import { StorageUnavailableError, UploadError } from '../errors.ts';
import { buildObjectKey } from '../object-key.ts';
import { isContentTypeAllowed } from '../policy.ts';
import type { LiveSlots, SessionLookup } from '../ports.ts';
import { type ChecksumMode, epochSeconds, isOpen, type UploadSession } from '../session.ts';
import { type SessionView, toSessionView } from '../views.ts';

export interface InitiateUploadInput {
  readonly userId: string;
  readonly fileName: string;
  readonly fileSize: number;
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
  readonly chunkSize?: number;
  readonly fileSha256?: string;
  readonly checksum?: ChecksumMode;
  readonly idempotencyKey?: string;
}

export interface InitiateUploadResult {
  readonly created: boolean;
  readonly session: SessionView;
}

/**
 * How long writes lost to concurrent ones are retried before answering 503 (well inside the
 * function's 10 s timeout). Each loss means another request's write landed, so retries progress.
 */
const CONTENTION_BUDGET_MS = 5_000;
const BACKOFF_BASE_MS = 5;
const BACKOFF_CAP_MS = 200;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export async function initiateUpload(
  deps: UploadDeps,
  input: InitiateUploadInput,
): Promise<InitiateUploadResult> {
  const contentType = input.contentType ?? DEFAULT_CONTENT_TYPE;
  if (!isContentTypeAllowed(contentType, deps.policy.allowedContentTypes)) {
    throw new UploadError(
      'UNSUPPORTED_CONTENT_TYPE',
      `Content type ${contentType} is not allowed`,
      {
        allowed: deps.policy.allowedContentTypes,
      },
    );
  }
  const plan = planChunks({
    fileSize: input.fileSize,
    requestedChunkSize: input.chunkSize,
    defaultChunkSize: deps.policy.defaultChunkSize,
    maxFileSize: deps.policy.maxFileSize,
  });
  const fingerprint = fingerprintOf({ ...input, contentType });
  const alias = input.fileSha256 ? fileAliasOf(input) : undefined;
  const deadline = Date.now() + CONTENTION_BUDGET_MS;
  // One multipart upload serves every attempt; it is aborted unless the session gets recorded.
  let session: UploadSession | undefined;
  let created = false;
  try {
    for (let attempt = 0; ; attempt++) {
      const existing = await findExisting(deps, input, fingerprint, alias);
      if (existing.session)
        return { created: false, session: toSessionView(existing.session, deps.clock.now()) };

      const now = deps.clock.now();
      const { liveSlots, endedSlots } = await slotsWithRoom(deps, input.userId, now);
      session ??= await newSession(deps, input, { contentType, fingerprint, ...plan }, now);
      const outcome = await deps.ledger.createSession({
        session,
        liveSlots,
        endedSlots,
        maxLiveSessions: deps.policy.maxLiveSessionsPerUser,
        ...(input.idempotencyKey
          ? { idempotency: { key: input.idempotencyKey, replacing: existing.staleIdempotency } }
          : {}),
        ...(alias ? { fileAlias: { alias, replacing: existing.staleAlias } } : {}),
      });
      if (outcome.kind === 'created') {
        created = true;
        deps.events.initiated();
        return { created: true, session: toSessionView(session, now) };
      }
      // Another request won a conditional write: look again (a pointer now names its session,
      // or the slots changed). Backing off spreads out the user's concurrent initiates.
      if (Date.now() >= deadline) throw new StorageUnavailableError('DynamoDB');
      if (outcome.kind === 'slots-changed') await deps.sleep(backoffMs(attempt));
    }
  } finally {
    if (session && !created) await abortIfUnrecorded(deps, session);
  }
}

/** Exponential backoff with full jitter. */
const backoffMs = (attempt: number): number =>
  Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);

/** The session was not recorded, unless its write landed after all (answer lost): nothing can use the upload. */
async function abortIfUnrecorded(deps: UploadDeps, session: UploadSession): Promise<void> {
  try {
    if (!(await deps.ledger.getSession(session.id)))
      await deps.storage.abortMultipartUpload(session.key, session.uploadId);
  } catch {
    // Best effort: the bucket's lifecycle rule aborts incomplete uploads later.
  }
}

interface Existing {
  readonly session?: UploadSession;
  readonly staleIdempotency?: SessionLookup;
  readonly staleAlias?: SessionLookup;
}

async function findExisting(
  deps: UploadDeps,
  input: InitiateUploadInput,
  fingerprint: string,
  alias: string | undefined,
): Promise<Existing> {
  const now = deps.clock.now();
  let staleIdempotency: SessionLookup | undefined;
  if (input.idempotencyKey) {
    const found = await deps.ledger.findByIdempotencyKey(input.userId, input.idempotencyKey);
    const session =
      found && found.expiresAt > epochSeconds(now)
        ? await deps.ledger.getSession(found.sessionId)
        : undefined;
    if (found && session) {
      if (found.fingerprint !== fingerprint) {
        throw new UploadError(
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was used with a different request',
        );
      }
      return { session };
    }
    staleIdempotency = found;
  }
  let staleAlias: SessionLookup | undefined;
  if (alias) {
    const found = await deps.ledger.findByFileAlias(input.userId, alias);
    const session = found ? await deps.ledger.getSession(found.sessionId) : undefined;
    if (session && session.userId === input.userId && isOpen(session, now)) return { session };
    staleAlias = found;
  }
  return { staleIdempotency, staleAlias };
}

async function newSession(
  deps: UploadDeps,
  input: InitiateUploadInput,
  derived: { contentType: string; fingerprint: string; chunkSize: number; totalChunks: number },
  now: Date,
): Promise<UploadSession> {
  const fileId = deps.ids.newId();
  const key = buildObjectKey(input.userId, fileId, input.fileName);
  const checksumMode = input.checksum ?? 'SHA256';
  const metadata = input.metadata ?? {};
  const { uploadId } = await deps.storage.createMultipartUpload({
    key,
    contentType: derived.contentType,
    checksumMode,
    metadata,
  });
  const createdAt = now.toISOString();
  return {
    id: deps.ids.newId(),
    userId: input.userId,
    fileId,
    fileName: input.fileName,
    fileSize: input.fileSize,
    contentType: derived.contentType,
    chunkSize: derived.chunkSize,
    totalChunks: derived.totalChunks,
    checksumMode,
    metadata,
    ...(input.fileSha256 ? { fileSha256: input.fileSha256 } : {}),
    key,
    uploadId,
    status: 'initiated',
    createdAt,
    updatedAt: createdAt,
    expiresAt: epochSeconds(now) + deps.policy.sessionTtlSeconds,
    uploadedBytes: 0,
    chunksUploaded: 0,
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    requestFingerprint: derived.fingerprint,
  };
}

/** The user's live slots, read as they are now; 429 when every one is taken. */
async function slotsWithRoom(
  deps: UploadDeps,
  userId: string,
  now: Date,
): Promise<{ liveSlots: LiveSlots; endedSlots: string[] }> {
  const liveSlots = await deps.ledger.readLiveSlots(userId);
  // Slots of sessions past their expiry: nobody completed or cancelled them to free the slot.
  const nowSeconds = epochSeconds(now);
  const endedSlots = Object.entries(liveSlots.sessions)
    .filter(([, expiresAt]) => expiresAt <= nowSeconds)
    .map(([sessionId]) => sessionId);
  const limit = deps.policy.maxLiveSessionsPerUser;
  if (Object.keys(liveSlots.sessions).length - endedSlots.length >= limit) {
    throw new UploadError(
      'TOO_MANY_ACTIVE_UPLOADS',
      'Too many active uploads; finish or cancel one first',
      { limit },
    );
  }
  return { liveSlots, endedSlots };
}

function fingerprintOf(input: InitiateUploadInput & { contentType: string }): string {
  const canonical = JSON.stringify([
    input.fileName,
    input.fileSize,
    input.contentType,
    Object.entries(input.metadata ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    input.chunkSize ?? null,
    input.fileSha256 ?? null,
    input.checksum ?? 'SHA256',
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}

function fileAliasOf(input: InitiateUploadInput): string {
  return createHash('sha256')
    .update(JSON.stringify([input.fileName, input.fileSize, input.fileSha256]))
    .digest('base64url');
}
