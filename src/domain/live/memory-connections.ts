import { epochSeconds } from '../session.ts';
import type { LiveConnection, LiveConnections, LiveSubscriber, SubscribeOutcome } from './ports.ts';

interface Held {
  readonly connection: LiveConnection;
  readonly sessions: Set<string>;
}

/**
 * LiveConnections in memory: the local server's (one process holds every connection) and the
 * unit tests'. Passes the same contract suite as the DynamoDB adapter.
 */
export class MemoryLiveConnections implements LiveConnections {
  private readonly connections = new Map<string, Held>();
  /** Session id to the connections watching it. */
  private readonly watchers = new Map<string, Set<string>>();

  async putConnection(connection: LiveConnection): Promise<void> {
    const held = this.connections.get(connection.connectionId);
    this.connections.set(connection.connectionId, {
      connection,
      sessions: held?.sessions ?? new Set(),
    });
  }

  async getConnection(connectionId: string): Promise<LiveConnection | undefined> {
    return this.connections.get(connectionId)?.connection;
  }

  async addSubscription(input: {
    connectionId: string;
    sessionId: string;
    max: number;
  }): Promise<SubscribeOutcome> {
    const held = this.connections.get(input.connectionId);
    if (!held) return 'gone';
    if (!held.sessions.has(input.sessionId) && held.sessions.size >= input.max) return 'limit';
    held.sessions.add(input.sessionId);
    const watchers = this.watchers.get(input.sessionId) ?? new Set();
    watchers.add(input.connectionId);
    this.watchers.set(input.sessionId, watchers);
    return 'subscribed';
  }

  async removeSubscription(connectionId: string, sessionId: string): Promise<void> {
    this.connections.get(connectionId)?.sessions.delete(sessionId);
    const watchers = this.watchers.get(sessionId);
    watchers?.delete(connectionId);
    if (watchers?.size === 0) this.watchers.delete(sessionId);
  }

  async listSubscribers(sessionId: string, now: Date): Promise<LiveSubscriber[]> {
    const subscribers: LiveSubscriber[] = [];
    for (const connectionId of this.watchers.get(sessionId) ?? []) {
      const connection = this.connections.get(connectionId)?.connection;
      if (!connection || connection.expiresAt <= epochSeconds(now)) continue;
      subscribers.push({ connectionId, userId: connection.userId });
    }
    return subscribers;
  }

  async deleteConnection(connectionId: string): Promise<void> {
    const held = this.connections.get(connectionId);
    if (!held) return;
    for (const sessionId of held.sessions) await this.removeSubscription(connectionId, sessionId);
    this.connections.delete(connectionId);
  }

  /** Open connections (the local server reports it; tests check nothing leaks). */
  get size(): number {
    return this.connections.size;
  }
}
