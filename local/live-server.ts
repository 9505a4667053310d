import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { UploadDeps } from '../src/domain/deps.ts';
import { ConnectionGoneError } from '../src/domain/live/errors.ts';
import { ProgressFolder } from '../src/domain/live/fold.ts';
import { MemoryLiveConnections } from '../src/domain/live/memory-connections.ts';
import { serializeMessage } from '../src/domain/live/messages.ts';
import type { LiveDeps, LiveSender } from '../src/domain/live/ports.ts';
import { connect, disconnect, pushChanges, receiveMessage } from '../src/domain/live/use-cases.ts';
import { userIdOf } from '../src/domain/user-id.ts';
import { API_BASE_PATH } from '../src/http/routes.ts';
import { verifyBearer } from './auth.ts';
import { createSessionChanges, followTableStream, type SessionChanges } from './session-changes.ts';

/** Where the local server answers WebSocket upgrades (shared/API.md). */
export const LIVE_PATH = `${API_BASE_PATH}/live`;

/** A frame larger than this closes the connection (1009); valid messages are tiny. */
const MAX_FRAME_BYTES = 16 * 1024;

export interface LiveServerDeps {
  /** The deps the route handlers run with (functions/commons/dependencies.ts). */
  readonly upload: UploadDeps;
  /** Where session changes come from (followTableStream feeds it from the table's stream). */
  readonly changes: SessionChanges;
  /** The caller of a bearer token, or undefined when it is refused. @default local/auth.ts */
  readonly authenticate?: (token: string) => Promise<string | undefined>;
  /** One line per connection opened or closed and per failure; nothing by default. */
  readonly log?: (line: string) => void;
}

export interface LiveServer {
  /** Open connections. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Live progress on the local server: answers WebSocket upgrades on /api/v1/live of `server`
 * with the same use cases as the deployed functions (connect, receiveMessage, disconnect, and
 * pushChanges for every batch of session changes), keeping connections in memory and sending
 * through the sockets. The token is checked as the local server checks HTTP requests; a
 * missing or bad one is answered 401 on the upgrade. The token is never logged.
 */
export function attachLiveServer(server: Server, deps: LiveServerDeps): LiveServer {
  const log = deps.log ?? (() => undefined);
  const authenticate = deps.authenticate ?? authenticateLocally;
  const sockets = new Map<string, WebSocket>();
  const connections = new MemoryLiveConnections();
  const live: LiveDeps = {
    upload: deps.upload,
    connections,
    sender: socketSender(sockets),
    folder: new ProgressFolder(deps.upload.clock),
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== LIVE_PATH) return refuse(socket, 404, 'Not Found');
    const token = tokenOf(request, url);
    (token ? authenticate(token) : Promise.resolve(undefined))
      .then((userId) => {
        if (!userId) return refuse(socket, 401, 'Unauthorized');
        wss.handleUpgrade(request, socket, head, (ws) => opened(ws, userId));
      })
      .catch((error: unknown) => {
        log(`live: upgrade failed: ${String(error)}`);
        refuse(socket, 500, 'Internal Server Error');
      });
  };

  const opened = (ws: WebSocket, userId: string) => {
    const connectionId = randomUUID();
    sockets.set(connectionId, ws);
    // Messages of one connection are handled in order, each after the connection is recorded.
    let queue: Promise<unknown> = connect(live, { connectionId, userId, connectedAt: new Date() });
    log(`live: ${connectionId} opened by ${userId}`);
    ws.on('message', (data, isBinary) => {
      const body = isBinary ? '' : data.toString();
      queue = queue
        .then(() => receiveMessage(live, { connectionId, userId, body }))
        .catch((error: unknown) => log(`live: message failed: ${String(error)}`));
    });
    ws.on('close', () => {
      sockets.delete(connectionId);
      queue = queue
        .then(() => disconnect(live, { connectionId }))
        .catch((error: unknown) => log(`live: disconnect failed: ${String(error)}`));
      log(`live: ${connectionId} closed`);
    });
    ws.on('error', (error) => log(`live: ${connectionId}: ${error.message}`));
  };

  const stopListening = deps.changes.subscribe(async (changes) => {
    const report = await pushChanges(live, changes);
    for (const { sessionId, error } of report.failures) {
      log(`live: push of ${sessionId} failed: ${String(error)}`);
    }
  });
  server.on('upgrade', onUpgrade);

  return {
    get connections() {
      return sockets.size;
    },
    async close() {
      server.off('upgrade', onUpgrade);
      stopListening();
      for (const ws of sockets.values()) ws.close(1001, 'server stopping');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const ws of sockets.values()) ws.terminate();
    },
  };
}

/**
 * Live progress for the local server, from the table's stream: the change feed and the socket
 * server, stopped together.
 */
export async function startLiveProgress(
  server: Server,
  options: {
    readonly upload: UploadDeps;
    readonly table: string;
    readonly region: string;
    readonly endpoint: string | undefined;
    readonly log?: (line: string) => void;
  },
): Promise<LiveServer> {
  const changes = createSessionChanges();
  const feed = await followTableStream({ ...options, changes });
  const live = attachLiveServer(server, { ...options, changes });
  return {
    get connections() {
      return live.connections;
    },
    async close() {
      await live.close();
      await feed.stop();
    },
  };
}

/** The caller, as local/auth.ts verifies HTTP requests. */
async function authenticateLocally(token: string): Promise<string | undefined> {
  const claims = await verifyBearer(`Bearer ${token}`);
  return claims?.sub ? userIdOf(claims.sub) : undefined;
}

/** `Authorization: Bearer`, else the `token` query parameter (browsers cannot set headers). */
function tokenOf(request: IncomingMessage, url: URL): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  return bearer ?? (url.searchParams.get('token') || undefined);
}

function socketSender(sockets: ReadonlyMap<string, WebSocket>): LiveSender {
  return {
    send: (connectionId, message) =>
      new Promise((resolve, reject) => {
        const ws = sockets.get(connectionId);
        if (!ws || ws.readyState !== ws.OPEN) {
          reject(new ConnectionGoneError(connectionId));
          return;
        }
        ws.send(serializeMessage(message), (error) =>
          error ? reject(new ConnectionGoneError(connectionId, { cause: error })) : resolve(),
        );
      }),
  };
}

function refuse(socket: Duplex, status: number, reason: string): void {
  const body = JSON.stringify({ message: reason });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
