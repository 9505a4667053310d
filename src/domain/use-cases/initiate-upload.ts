import { createHash } from 'node:crypto';
import { planChunks } from '../chunk-plan.ts';
import type { UploadDeps } from '../deps.ts';
import { UploadError } from '../errors.ts';
import { buildObjectKey } from '../object-key.ts';
import { isContentTypeAllowed } from '../policy.ts';
import type { LiveSlots, NewSessionWrite, SessionLookup } from '../ports.ts';
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

const MAX_ATTEMPTS = 5;
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

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const existing = await findExisting(deps, input, fingerprint, alias);
    if (existing.session)
      return { created: false, session: toSessionView(existing.session, deps.clock.now()) };

    const now = deps.clock.now();
    const liveSlots = pruneEnded(await deps.ledger.readLiveSlots(input.userId), now);
    if (Object.keys(liveSlots.sessions).length >= deps.policy.maxLiveSessionsPerUser) {
      throw new UploadError(
        'TOO_MANY_ACTIVE_UPLOADS',
        'Too many active uploads; finish or cancel one first',
        {
          limit: deps.policy.maxLiveSessionsPerUser,
        },
      );
    }
    const session = await newSession(deps, input, { contentType, fingerprint, ...plan }, now);
    const write: NewSessionWrite = {
      session,
      liveSlots,
      maxLiveSessions: deps.policy.maxLiveSessionsPerUser,
      ...(input.idempotencyKey
        ? { idempotency: { key: input.idempotencyKey, replacing: existing.staleIdempotency } }
        : {}),
      ...(alias ? { fileAlias: { alias, replacing: existing.staleAlias } } : {}),
    };
    const outcome = await deps.ledger.createSession(write).catch(async (error: unknown) => {
      await abortIfUnrecorded(deps, session);
      throw error;
    });
    if (outcome.kind === 'created') {
      deps.events.initiated();
      return { created: true, session: toSessionView(session, now) };
    }
    // Another request won a conditional write: drop our multipart upload and look again.
    await deps.storage.abortMultipartUpload(session.key, session.uploadId);
  }
  throw new UploadError(
    'INTERNAL_ERROR',
    'Could not create the upload session: too much contention',
  );
}

/** The session write failed: unless it landed after all (answer lost), nothing can use the upload. */
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
    uploadedChunks: new Set(),
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    requestFingerprint: derived.fingerprint,
  };
}

function pruneEnded(slots: LiveSlots, now: Date): LiveSlots {
  const nowSeconds = epochSeconds(now);
  const sessions = Object.fromEntries(
    Object.entries(slots.sessions).filter(([, expiresAt]) => expiresAt > nowSeconds),
  );
  return { version: slots.version, sessions };
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
