import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Posted {
  readonly connectionId: string;
  readonly message: Record<string, unknown>;
  readonly at: number;
}

/**
 * A stand-in for the API Gateway management API of a WebSocket stage: `POST /@connections/{id}`
 * records the message (200), answers 410 GoneException for connections in `gone` and 500 for
 * those in `failing`, as API Gateway does. The SDK client and the sender adapter run unchanged.
 */
export async function startManagementApi() {
  const posted: Posted[] = [];
  const gone = new Set<string>();
  const failing = new Set<string>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const match = /^\/(?:[^/]+\/)?@connections\/([^/?]+)$/.exec(request.url ?? '');
      const connectionId = decodeURIComponent(match?.[1] ?? '');
      if (request.method !== 'POST' || !match) return answer(response, 404, 'NotFoundException');
      if (gone.has(connectionId)) return answer(response, 410, 'GoneException');
      if (failing.has(connectionId)) return answer(response, 500, 'InternalServerErrorException');
      posted.push({
        connectionId,
        message: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        at: performance.now(),
      });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/live`,
    posted,
    gone,
    failing,
    /** The messages one connection received. */
    to: (connectionId: string) =>
      posted.filter((p) => p.connectionId === connectionId).map((p) => p.message),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function answer(response: import('node:http').ServerResponse, status: number, type: string): void {
  response
    .writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type })
    .end(JSON.stringify({ message: type }));
}
