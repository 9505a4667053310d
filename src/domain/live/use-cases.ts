import { UploadError } from '../errors.ts';
import { epochSeconds } from '../session.ts';
import { getProgress } from '../use-cases/get-progress.ts';
import { ConnectionGoneError } from './errors.ts';
import type { SessionChange } from './fold.ts';
import {
  type ClientMessage,
  errorMessage,
  parseClientMessage,
  progressMessage,
  type ServerMessage,
} from './messages.ts';
import type { LiveDeps, LiveSubscriber } from './ports.ts';

/** Sessions one connection may watch at once (shared/API.md). */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;
/** API Gateway ends every WebSocket connection after 2 hours at most. */
export const MAX_CONNECTION_SECONDS = 2 * 3600;
/**
 * A connection's records are kept this long past its longest life: its $disconnect normally
 * deletes them first; TTL removes what a lost $disconnect left behind.
 */
export const CONNECTION_RECORD_MARGIN_SECONDS = 3600;

/** Records a new connection of an authenticated user. */
export async function connect(
  deps: LiveDeps,
  input: { connectionId: string; userId: string; connectedAt: Date },
): Promise<void> {
  await deps.connections.putConnection({
    connectionId: input.connectionId,
    userId: input.userId,
    expiresAt:
      epochSeconds(input.connectedAt) + MAX_CONNECTION_SECONDS + CONNECTION_RECORD_MARGIN_SECONDS,
  });
}

/** Forgets a closed connection and everything it watched. */
export async function disconnect(deps: LiveDeps, input: { connectionId: string }): Promise<void> {
  await deps.connections.deleteConnection(input.connectionId);
}

/** What became of one client message, for the caller's log line. */
export interface MessageOutcome {
  readonly action?: ClientMessage['action'];
  readonly sessionId?: string;
  readonly outcome: 'subscribed' | 'unsubscribed' | 'rejected' | 'connection-gone';
  /** The error the client was told about (rejected only). */
  readonly error?: unknown;
}

/**
 * One client message: `subscribe` answers a snapshot of the session's progress (read after the
 * subscription is stored, so no change in between is missed) or an error; `unsubscribe` answers
 * nothing. Every refusal is an error message on the same connection, which stays open.
 */
export async function receiveMessage(
  deps: LiveDeps,
  input: { connectionId: string; userId: string; body: string },
): Promise<MessageOutcome> {
  const parsed = parseClientMessage(input.body);
  if (!parsed.ok) return reject(deps, input.connectionId, parsed.error, parsed.sessionId);
  const { action, sessionId } = parsed.message;
  const { connectionId, userId } = input;
  try {
    if (action === 'unsubscribe') {
      await deps.connections.removeSubscription(connectionId, sessionId);
      return { action, sessionId, outcome: 'unsubscribed' };
    }
    const added = await deps.connections.addSubscription({
      connectionId,
      sessionId,
      max: MAX_SUBSCRIPTIONS_PER_CONNECTION,
    });
    if (added === 'gone') return { action, sessionId, outcome: 'connection-gone' };
    if (added === 'limit') {
      const error = new UploadError(
        'VALIDATION_ERROR',
        `A connection may watch at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} sessions; unsubscribe from one first`,
      );
      return { ...(await reject(deps, connectionId, error, sessionId)), action };
    }
    let data: Awaited<ReturnType<typeof getProgress>>;
    try {
      // The ownership check of GET /progress: another user's session is not found.
      data = await getProgress(deps.upload, { userId, sessionId });
    } catch (error) {
      if (error instanceof UploadError && error.code === 'SESSION_NOT_FOUND') {
        await deps.connections.removeSubscription(connectionId, sessionId);
      }
      throw error;
    }
    const sent = await deliver(deps, connectionId, progressMessage(data));
    return { action, sessionId, outcome: sent === 'gone' ? 'connection-gone' : 'subscribed' };
  } catch (error) {
    return { ...(await reject(deps, connectionId, error, sessionId)), action };
  }
}

/** What one push did, for the caller's log line and retries. */
export interface PushReport {
  /** Sessions whose subscribers were looked up. */
  sessions: number;
  messages: number;
  /** Connections found gone and forgotten. */
  gone: number;
  /** Sessions whose push failed (storage unavailable, a send refused): worth a retry. */
  readonly failures: { readonly sessionId: string; readonly error: unknown }[];
}

/**
 * Sends the progress of changed sessions to their subscribers, as the folder allows: sessions it
 * lets through at once are sent now; for the ones it holds back this waits (at most one interval)
 * and sends their state as it is then. When it returns nothing is held back, so the process may
 * stop (a Lambda invocation ends) without losing the last change of any session.
 */
export async function pushChanges(
  deps: LiveDeps,
  changes: readonly SessionChange[],
): Promise<PushReport> {
  const report: PushReport = { sessions: 0, messages: 0, gone: 0, failures: [] };
  const push = (sessionIds: readonly string[]) =>
    Promise.all(
      sessionIds.map((sessionId) =>
        pushSession(deps, sessionId, report).catch((error: unknown) => {
          report.failures.push({ sessionId, error });
        }),
      ),
    );
  const now = mergeChanges(changes).filter((change) => deps.folder.offer(change) === 'now');
  await push(now.map((change) => change.sessionId));
  for (let due = deps.folder.nextDueAt(); due !== undefined; due = deps.folder.nextDueAt()) {
    const wait = due - deps.upload.clock.now().getTime();
    if (wait > 0) await deps.upload.sleep(wait);
    await push(deps.folder.takeDue());
  }
  return report;
}

/** One change per session, in order of first appearance; terminal when any of its changes was. */
export function mergeChanges(changes: readonly SessionChange[]): SessionChange[] {
  const merged = new Map<string, SessionChange>();
  for (const change of changes) {
    const seen = merged.get(change.sessionId);
    merged.set(change.sessionId, {
      sessionId: change.sessionId,
      terminal: change.terminal || (seen?.terminal ?? false),
    });
  }
  return [...merged.values()];
}

async function pushSession(deps: LiveDeps, sessionId: string, report: PushReport): Promise<void> {
  report.sessions++;
  const subscribers = await deps.connections.listSubscribers(sessionId, deps.upload.clock.now());
  const failures: unknown[] = [];
  // Only the owner can subscribe, so there is one group: one read of the session per push.
  for (const [userId, group] of byUser(subscribers)) {
    let data: Awaited<ReturnType<typeof getProgress>>;
    try {
      data = await getProgress(deps.upload, { userId, sessionId });
    } catch (error) {
      // Gone since (TTL) or never theirs: there is nothing to tell these subscribers.
      if (error instanceof UploadError && error.code === 'SESSION_NOT_FOUND') continue;
      throw error;
    }
    const message = progressMessage(data);
    const results = await Promise.allSettled(
      group.map((s) => deliver(deps, s.connectionId, message)),
    );
    for (const result of results) {
      if (result.status === 'rejected') failures.push(result.reason);
      else if (result.value === 'gone') report.gone++;
      else report.messages++;
    }
  }
  if (failures.length > 0) {
    throw failures.length === 1
      ? failures[0]
      : new AggregateError(failures, `${failures.length} sends failed`);
  }
}

function byUser(subscribers: readonly LiveSubscriber[]): Map<string, LiveSubscriber[]> {
  const groups = new Map<string, LiveSubscriber[]>();
  for (const subscriber of subscribers) {
    const group = groups.get(subscriber.userId) ?? [];
    group.push(subscriber);
    groups.set(subscriber.userId, group);
  }
  return groups;
}

/**
 * Sends one message; a connection found gone is forgotten, and so is its subscription to the
 * message's session (which a subscribe racing the connection's deletion may have left behind).
 */
async function deliver(
  deps: LiveDeps,
  connectionId: string,
  message: ServerMessage,
): Promise<'sent' | 'gone'> {
  try {
    await deps.sender.send(connectionId, message);
    return 'sent';
  } catch (error) {
    if (!(error instanceof ConnectionGoneError)) throw error;
    await Promise.all([
      deps.connections.deleteConnection(connectionId),
      message.sessionId !== undefined
        ? deps.connections.removeSubscription(connectionId, message.sessionId)
        : undefined,
    ]);
    return 'gone';
  }
}

async function reject(
  deps: LiveDeps,
  connectionId: string,
  error: unknown,
  sessionId: string | undefined,
): Promise<MessageOutcome> {
  const sent = await deliver(deps, connectionId, errorMessage(error, sessionId));
  return {
    ...(sessionId !== undefined ? { sessionId } : {}),
    outcome: sent === 'gone' ? 'connection-gone' : 'rejected',
    error,
  };
}
