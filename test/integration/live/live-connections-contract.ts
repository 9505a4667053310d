import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { LiveConnections } from '../../../src/domain/live/ports.ts';

const NOW = new Date();
const LATER = Math.floor(NOW.getTime() / 1000) + 3 * 3600;

/**
 * What every LiveConnections adapter must do (the DynamoDB one and the in-memory one alike).
 * Ids are fresh per test, so adapters may share one table.
 */
export function describeLiveConnectionsContract(
  name: string,
  adapter: () => LiveConnections,
): void {
  const id = (prefix: string) => `${prefix}-${randomUUID()}`;
  const connected = async (connections: LiveConnections, userId = id('user')) => {
    const connectionId = id('conn');
    await connections.putConnection({ connectionId, userId, expiresAt: LATER });
    return { connectionId, userId };
  };

  describe(`LiveConnections contract: ${name}`, () => {
    it('keeps a connection with its user until it is deleted', async () => {
      const connections = adapter();
      const { connectionId, userId } = await connected(connections);
      expect(await connections.getConnection(connectionId)).toEqual({
        connectionId,
        userId,
        expiresAt: LATER,
      });
      await connections.deleteConnection(connectionId);
      expect(await connections.getConnection(connectionId)).toBeUndefined();
      await connections.deleteConnection(connectionId); // already gone: fine
      expect(await connections.getConnection(id('conn'))).toBeUndefined();
    });

    it('lists every connection watching a session, once each', async () => {
      const connections = adapter();
      const sessionId = id('session');
      const a = await connected(connections, 'alice');
      const b = await connected(connections, 'alice');
      const other = await connected(connections, 'bob');
      for (const c of [a, b, a]) {
        const outcome = await connections.addSubscription({ ...c, sessionId, max: 100 });
        expect(outcome).toBe('subscribed');
      }
      await connections.addSubscription({ ...other, sessionId: id('session'), max: 100 });
      const subscribers = await connections.listSubscribers(sessionId, NOW);
      expect(subscribers.sort((x, y) => x.connectionId.localeCompare(y.connectionId))).toEqual(
        [a, b]
          .map(({ connectionId }) => ({ connectionId, userId: 'alice' }))
          .sort((x, y) => x.connectionId.localeCompare(y.connectionId)),
      );
      expect(await connections.listSubscribers(id('session'), NOW)).toEqual([]);
    });

    it('refuses to subscribe a connection it does not hold', async () => {
      const connections = adapter();
      const sessionId = id('session');
      const outcome = await connections.addSubscription({
        connectionId: id('conn'),
        sessionId,
        max: 100,
      });
      expect(outcome).toBe('gone');
      expect(await connections.listSubscribers(sessionId, NOW)).toEqual([]);
    });

    it('holds a connection to `max` sessions, counting a repeat once', async () => {
      const connections = adapter();
      const c = await connected(connections);
      const sessions = [id('s'), id('s'), id('s')];
      for (const sessionId of sessions) {
        expect(await connections.addSubscription({ ...c, sessionId, max: 3 })).toBe('subscribed');
      }
      const fourth = id('s');
      expect(await connections.addSubscription({ ...c, sessionId: fourth, max: 3 })).toBe('limit');
      expect(await connections.listSubscribers(fourth, NOW)).toEqual([]);
      const again = { ...c, sessionId: sessions[0] as string, max: 3 };
      expect(await connections.addSubscription(again)).toBe('subscribed');

      await connections.removeSubscription(c.connectionId, sessions[1] as string);
      expect(await connections.listSubscribers(sessions[1] as string, NOW)).toEqual([]);
      expect(await connections.addSubscription({ ...c, sessionId: fourth, max: 3 })).toBe(
        'subscribed',
      );
    });

    it('removes what is not there without complaint', async () => {
      const connections = adapter();
      const c = await connected(connections);
      await connections.removeSubscription(c.connectionId, id('session'));
      await connections.removeSubscription(id('conn'), id('session'));
    });

    it('leaves out the subscribers of a connection whose record expired', async () => {
      const connections = adapter();
      const sessionId = id('session');
      const expired = { connectionId: id('conn'), userId: 'alice' };
      await connections.putConnection({
        ...expired,
        expiresAt: Math.floor(NOW.getTime() / 1000) - 60,
      });
      const live = await connected(connections, 'alice');
      await connections.addSubscription({ ...expired, sessionId, max: 100 });
      await connections.addSubscription({ ...live, sessionId, max: 100 });
      expect(await connections.listSubscribers(sessionId, NOW)).toEqual([
        { connectionId: live.connectionId, userId: 'alice' },
      ]);
    });

    it('forgets every subscription of a deleted connection', async () => {
      const connections = adapter();
      const c = await connected(connections);
      const keep = await connected(connections, c.userId);
      const sessions = Array.from({ length: 30 }, () => id('s'));
      for (const sessionId of sessions) {
        await connections.addSubscription({ ...c, sessionId, max: 100 });
      }
      await connections.addSubscription({ ...keep, sessionId: sessions[0] as string, max: 100 });
      await connections.deleteConnection(c.connectionId);
      for (const sessionId of sessions.slice(1)) {
        expect(await connections.listSubscribers(sessionId, NOW)).toEqual([]);
      }
      expect(await connections.listSubscribers(sessions[0] as string, NOW)).toEqual([
        { connectionId: keep.connectionId, userId: c.userId },
      ]);
    });
  });
}
