import type { UploadDeps } from '../deps.ts';
import type { ProgressFolder } from './fold.ts';
import type { ServerMessage } from './messages.ts';

/** A live connection: who opened it, and until when its records are kept (epoch seconds). */
export interface LiveConnection {
  readonly connectionId: string;
  readonly userId: string;
  readonly expiresAt: number;
}

/** A connection watching a session. */
export interface LiveSubscriber {
  readonly connectionId: string;
  readonly userId: string;
}

export type SubscribeOutcome =
  /** Watched now (also when it already was). */
  | 'subscribed'
  /** The connection already watches the most sessions it may: nothing was written. */
  | 'limit'
  /** The connection is gone (closed, or its record expired): nothing was written. */
  | 'gone';

/**
 * Open connections and the sessions each watches (DynamoDB when deployed, memory locally).
 * Throws StorageUnavailableError.
 */
export interface LiveConnections {
  putConnection(connection: LiveConnection): Promise<void>;
  getConnection(connectionId: string): Promise<LiveConnection | undefined>;
  /** Adds the session to the connection's watch list while it holds fewer than `max` others. */
  addSubscription(input: {
    connectionId: string;
    sessionId: string;
    max: number;
  }): Promise<SubscribeOutcome>;
  removeSubscription(connectionId: string, sessionId: string): Promise<void>;
  /** The connections watching the session, leaving out records expired before `now`. */
  listSubscribers(sessionId: string, now: Date): Promise<LiveSubscriber[]>;
  /** Forgets the connection and every subscription it had; succeeds when it is already gone. */
  deleteConnection(connectionId: string): Promise<void>;
}

/** Delivers a message to one connection. Throws ConnectionGoneError when it no longer exists. */
export interface LiveSender {
  send(connectionId: string, message: ServerMessage): Promise<void>;
}

/** Everything the live use cases need, wired once per cold start (or per local server). */
export interface LiveDeps {
  /** Progress is read through the very use case GET /progress runs (its ledger and clock). */
  readonly upload: UploadDeps;
  readonly connections: LiveConnections;
  readonly sender: LiveSender;
  /** Kept for the life of the process, so that bursts fold across stream batches. */
  readonly folder: ProgressFolder;
}
