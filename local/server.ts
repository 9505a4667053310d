import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { UploadError } from '../src/domain/errors.ts';
import { errorResponse, type HttpResponse } from '../src/http/error-response.ts';
import { buildOpenApiDocument } from '../src/http/openapi.ts';
import { matchRoute, ROUTES } from '../src/http/routes.ts';
import { lambdaContext, toApiGatewayEvent } from './api-gateway-event.ts';
import { verifyBearer } from './auth.ts';

type Handler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<HttpResponse>;

const MAX_BODY_BYTES = 1024 * 1024;
const CORS_PREFLIGHT = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET,POST,PUT,DELETE,OPTIONS',
  'access-control-allow-headers': 'authorization,content-type,idempotency-key',
  'access-control-max-age': '600',
};

export interface ApiServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the API the way API Gateway would: each request becomes a payload v2 event for the
 * very handler module Lambda runs, after the bearer token is checked as the JWT authorizer would.
 * Handler modules read their config at import, so set the environment before calling this.
 */
export async function startApiServer(options: { port: number; host?: string }): Promise<ApiServer> {
  const handlers = new Map<string, Handler>();
  for (const route of ROUTES) {
    const module = (await import(`../functions/${route.handler}.ts`)) as { handler: Handler };
    handlers.set(route.id, module.handler);
  }
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    serve(request, response, handlers).catch((error: unknown) => {
      send(response, errorResponse(error));
    });
  });
  server.on('clientError', answerUnparsable);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  handlers: Map<string, Handler>,
) {
  const url = requestUrl(request);
  if (!url) return send(response, json(400, { message: 'Bad Request' }));
  const method = request.method ?? 'GET';
  if (method === 'OPTIONS')
    return send(response, { statusCode: 204, headers: CORS_PREFLIGHT, body: '' });
  if (method === 'GET' && url.pathname === '/openapi.json') {
    return send(response, json(200, buildOpenApiDocument(`${url.protocol}//${url.host}`)));
  }
  if (method === 'GET' && url.pathname === '/health')
    return send(response, json(200, { ok: true }));

  let match: ReturnType<typeof matchRoute>;
  try {
    match = matchRoute(method, url.pathname);
  } catch {
    match = undefined; // a path segment that is not valid percent-encoding
  }
  if (!match) return send(response, json(404, { message: 'Not Found' }));

  const body = await readBody(request);
  if (body === undefined) {
    // The rest of the body is never read, so this connection cannot carry another request.
    const tooLarge = errorResponse(
      new UploadError('VALIDATION_ERROR', 'Request body is too large'),
    );
    return send(response, { ...tooLarge, headers: { ...tooLarge.headers, connection: 'close' } });
  }
  const claims = await verifyBearer(request.headers.authorization);
  if (!claims)
    return send(
      response,
      errorResponse(new UploadError('UNAUTHORIZED', 'Missing or invalid token')),
    );

  const event = toApiGatewayEvent({
    request,
    url,
    body,
    route: match.route,
    pathParameters: match.pathParameters,
    claims,
  });
  const handler = handlers.get(match.route.id) as Handler;
  send(response, await handler(event, lambdaContext(match.route.id)));
}

const UNPARSABLE: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * A request Node cannot parse (e.g. raw non-ASCII bytes in the path) never reaches a handler;
 * the gateway answers it itself with a small JSON body, as it does for unmatched routes.
 */
function answerUnparsable(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, message] = UNPARSABLE[error.code ?? ''] ?? [400, 'Bad Request'];
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The request target as a URL, or undefined when it is not one (e.g. `*`). */
function requestUrl(request: IncomingMessage): URL | undefined {
  const target = request.url ?? '/';
  try {
    // Parsed on a fixed origin: a path such as `///x` must stay a path, never name a host.
    const url = target.startsWith('/') ? new URL(`http://localhost${target}`) : new URL(target);
    url.host = request.headers.host ?? url.host; // the setter ignores a Host that is no host
    return url;
  } catch {
    return undefined;
  }
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const json = (statusCode: number, value: unknown): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

function send(response: ServerResponse, result: HttpResponse): void {
  if (response.headersSent) return;
  response.writeHead(result.statusCode, result.headers);
  response.end(result.body);
}
