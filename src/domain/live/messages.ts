import * as z from 'zod';
import { SessionId } from '../../http/schemas.ts';
import { type ErrorCode, sessionNotFound, UploadError } from '../errors.ts';
import type { UploadProgress } from '../use-cases/get-progress.ts';

/**
 * The live-progress protocol (shared/API.md, "Live progress (WebSocket)"): JSON text messages,
 * the same for the deployed WebSocket API and the local server.
 */

/** Longer client messages are refused unread: a valid one is well under 200 characters. */
export const MAX_CLIENT_MESSAGE_LENGTH = 4096;

export const ClientMessage = z.object({
  action: z.enum(['subscribe', 'unsubscribe']),
  sessionId: z.string(),
});
export type ClientMessage = z.output<typeof ClientMessage>;

export interface ProgressMessage {
  readonly type: 'progress';
  readonly sessionId: string;
  /** Exactly the data of GET /uploads/{id}/progress. */
  readonly data: UploadProgress;
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly sessionId?: string;
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

export type ServerMessage = ProgressMessage | ErrorMessage;

export type ParsedClientMessage =
  | { readonly ok: true; readonly message: ClientMessage }
  | { readonly ok: false; readonly error: UploadError; readonly sessionId?: string };

/**
 * Reads one client message. A message that is not `{ action, sessionId }` JSON is a
 * VALIDATION_ERROR; a well-formed one naming an id this API could never have issued is
 * SESSION_NOT_FOUND, exactly as over HTTP.
 */
export function parseClientMessage(raw: string): ParsedClientMessage {
  if (raw.length > MAX_CLIENT_MESSAGE_LENGTH) {
    return invalid('message', `must be at most ${MAX_CLIENT_MESSAGE_LENGTH} characters`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return invalid('message', 'must be JSON');
  }
  const parsed = ClientMessage.safeParse(value);
  const named = (value as { sessionId?: unknown } | null)?.sessionId;
  const sessionId = typeof named === 'string' && isSessionId(named) ? { sessionId: named } : {};
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.join('.') : 'message',
      message: issue.message,
    }));
    return {
      ok: false,
      error: new UploadError(
        'VALIDATION_ERROR',
        `Invalid message: ${fields.map((f) => f.field).join(', ')}`,
        { fields },
      ),
      ...sessionId,
    };
  }
  if (!isSessionId(parsed.data.sessionId)) return { ok: false, error: sessionNotFound() };
  return { ok: true, message: parsed.data };
}

export const progressMessage = (data: UploadProgress): ProgressMessage => ({
  type: 'progress',
  sessionId: data.sessionId,
  data,
});

/**
 * An error as the client sees it, like the HTTP envelope: a contract error keeps its code and
 * message (never its details); anything else is a generic INTERNAL_ERROR that reveals nothing.
 */
export function errorMessage(error: unknown, sessionId?: string): ErrorMessage {
  const known = error instanceof UploadError && error.code !== 'INTERNAL_ERROR';
  return {
    type: 'error',
    ...(sessionId !== undefined && isSessionId(sessionId) ? { sessionId } : {}),
    error: known
      ? { code: error.code, message: error.message }
      : { code: 'INTERNAL_ERROR', message: 'Internal server error' },
  };
}

export const serializeMessage = (message: ServerMessage): string => JSON.stringify(message);

/** An id this API could have issued (any other is answered SESSION_NOT_FOUND, as over HTTP). */
const isSessionId = (value: string): boolean => SessionId.safeParse(value).success;

function invalid(field: string, message: string): ParsedClientMessage {
  return {
    ok: false,
    error: new UploadError('VALIDATION_ERROR', `Invalid message: ${message}`, {
      fields: [{ field, message }],
    }),
  };
}
