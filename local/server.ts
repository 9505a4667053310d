import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { UploadError } from '../src/domain/errors.ts';
import { errorResponse, type HttpResponse } from '../src/http/error-response.ts';
import { buildOpenApiDocument } from '../src/http/openapi.ts';
import { API_BASE_PATH, matchRoute, ROUTES } from '../src/http/routes.ts';
import { lambdaContext, toApiGatewayEvent } from './api-gateway-event.ts';
import { verifyBearer } from './auth.ts';
import { type Invocation, installCapture, newInvocation, runInvocation } from './handler-output.ts';
import { LIVE_PATH, type LiveServer, startLiveProgress } from './live-server.ts';
import {
  errorOf,
  formatRequestLine,
  type HandlerOutput,
  type LogFormat,
  type RequestRecord,
  splitHandlerOutput,
} from './request-log.ts';
import { serveWeb } from './web.ts';

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
  /** `ws://` URL of live progress, unless started with `live: false`. */
  readonly liveUrl: string | undefined;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  readonly port: number;
  readonly host?: string;
  /**
   * How requests are logged. `json` (the default): the handlers print their Powertools JSON lines
   * as they do in Lambda. `pretty`: what the handlers print is captured, and the server prints one
   * readable line per request instead (plus metrics lines, when Powertools emits any). `none`:
   * captured, nothing printed. See handler-output.ts and request-log.ts.
   */
  readonly logFormat?: LogFormat;
  /** Called once per answered request, after the answer is sent (benchmarks count with it). */
  readonly onRequest?: (record: RequestRecord) => void;
  /** Where `pretty` lines go (default: stdout). */
  readonly print?: (line: string) => void;
  /**
   * Live progress on `ws://<host>:<port>/api/v1/live` (local/live-server.ts), fed by the
   * table's stream as the deployed push function is. @default true
   */
  readonly live?: boolean;
}

/** When a request arrived: wall clock for the log line, monotonic for its duration. */
interface Began {
  readonly at: Date;
  readonly ms: number;
}

/** What the server learnt about one request while serving it. */
interface Seen {
  route: string;
  routeId?: string;
  sessionId?: string;
  invocation?: Invocation;
  handlerMs?: number;
  failure?: unknown;
}

/**
 * Serves the API the way API Gateway would: each request becomes a payload v2 event for the
 * very handler module Lambda runs, after the bearer token is checked as the JWT authorizer would.
 * Handler modules read their config at import, so set the environment before calling this.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const handlers = new Map<string, Handler>();
  for (const route of ROUTES) {
    const module = (await import(`../functions/${route.handler}.ts`)) as { handler: Handler };
    handlers.set(route.id, module.handler);
  }
  const host = options.host ?? '127.0.0.1';
  const format = options.logFormat ?? 'json';
  const print = options.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const stopCapture = format === 'json' ? () => undefined : installCapture();
  const report = (request: IncomingMessage, seen: Seen, result: HttpResponse, began: Began) => {
    if (format === 'json' && !options.onRequest) return; // as in Lambda: the handlers' lines only
    const captured =
      format === 'json' || !seen.invocation
        ? undefined
        : splitHandlerOutput(seen.invocation.output);
    const record = requestRecord(request, seen, result, began, captured);
    if (format === 'pretty') printPretty(print, record, captured);
    options.onRequest?.(record);
  };
  const server = createServer((request, response) => {
    const began = { at: new Date(), ms: performance.now() };
    const seen: Seen = { route: '?' };
    serve(request, handlers, seen, format !== 'json')
      .catch((error: unknown) => {
        seen.failure = error;
        return errorResponse(error);
      })
      .then((result) => {
        send(response, result);
        report(request, seen, result, began);
      })
      .catch((error: unknown) => {
        process.stderr.write(`request log failed: ${String(error)}\n`);
      });
  });
  server.on('clientError', answerUnparsable);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => resolve());
    });
  } catch (error) {
    stopCapture();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  // Connection lines only beside the readable request lines; JSON logs stay the handlers' own.
  const live =
    options.live === false
      ? undefined
      : await startLive(server, format === 'pretty' ? print : undefined);
  return {
    url: `http://${host}:${port}`,
    liveUrl: live ? `ws://${host}:${port}${LIVE_PATH}` : undefined,
    close: async () => {
      await live?.close();
      await new Promise<void>((resolve) => {
        server.close(() => {
          stopCapture();
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}

/** The same dependencies the handlers use (config is read once, from the same environment). */
async function startLive(
  server: Server,
  print: ((line: string) => void) | undefined,
): Promise<LiveServer> {
  const { config, deps } = await import('../functions/commons/dependencies.ts');
  return startLiveProgress(server, {
    upload: deps,
    table: config.tableName,
    region: config.region,
    endpoint: config.endpoints.dynamodb,
    ...(print ? { log: print } : {}),
  });
}

function requestRecord(
  request: IncomingMessage,
  seen: Seen,
  result: HttpResponse,
  began: Began,
  captured: HandlerOutput | undefined,
): RequestRecord {
  const access = seen.failure !== undefined ? { error: seen.failure } : captured?.access;
  const error = errorOf(result.statusCode, result.body, access);
  return {
    startedAt: began.at,
    method: request.method ?? 'GET',
    ...(seen.routeId ? { routeId: seen.routeId } : {}),
    route: seen.route,
    status: result.statusCode,
    durationMs: performance.now() - began.ms,
    ...(seen.handlerMs !== undefined ? { handlerMs: seen.handlerMs } : {}),
    ...(seen.sessionId ? { sessionId: seen.sessionId } : {}),
    ...(error ? { error } : {}),
    ...(seen.invocation && captured ? { logBytes: seen.invocation.bytes } : {}),
  };
}

/** The request's line, then anything else the handler printed that a developer should see. */
function printPretty(
  print: (line: string) => void,
  record: RequestRecord,
  output: HandlerOutput | undefined,
): void {
  print(formatRequestLine(record));
  if (!output) return;
  for (const line of [...output.other, ...output.text]) print(`    ${line}`);
  for (const line of output.metrics) print(line);
}

async function serve(
  request: IncomingMessage,
  handlers: Map<string, Handler>,
  seen: Seen,
  capture: boolean,
): Promise<HttpResponse> {
  const url = requestUrl(request);
  if (!url) return json(400, { message: 'Bad Request' });
  seen.route = url.pathname;
  const method = request.method ?? 'GET';
  if (method === 'OPTIONS') return { statusCode: 204, headers: CORS_PREFLIGHT, body: '' };
  if (method === 'GET' && url.pathname === '/openapi.json') {
    return json(200, buildOpenApiDocument(`${url.protocol}//${url.host}`));
  }
  if (method === 'GET' && url.pathname === '/health') return json(200, { ok: true });
  if (method === 'GET' && !url.pathname.startsWith('/api/')) {
    const page = await serveWeb(url.pathname); // the upload page and /docs (local/web.ts)
    if (page) return page;
  }

  let match: ReturnType<typeof matchRoute>;
  try {
    match = matchRoute(method, url.pathname);
  } catch {
    match = undefined; // a path segment that is not valid percent-encoding
  }
  if (!match) return json(404, { message: 'Not Found' });
  seen.routeId = match.route.id;
  seen.route = match.route.path.slice(API_BASE_PATH.length) || '/';
  if (match.pathParameters.id !== undefined) seen.sessionId = match.pathParameters.id;

  const body = await readBody(request);
  if (body === undefined) {
    // The rest of the body is never read, so this connection cannot carry another request.
    const tooLarge = errorResponse(
      new UploadError('VALIDATION_ERROR', 'Request body is too large'),
    );
    return { ...tooLarge, headers: { ...tooLarge.headers, connection: 'close' } };
  }
  const claims = await verifyBearer(request.headers.authorization);
  if (!claims) return errorResponse(new UploadError('UNAUTHORIZED', 'Missing or invalid token'));

  const event = toApiGatewayEvent({
    request,
    url,
    body,
    route: match.route,
    pathParameters: match.pathParameters,
    claims,
  });
  const handler = handlers.get(match.route.id) as Handler;
  const invocation = newInvocation(match.route.id, capture);
  seen.invocation = invocation;
  const started = performance.now();
  try {
    return await runInvocation(invocation, () => handler(event, lambdaContext(match.route.id)));
  } finally {
    seen.handlerMs = performance.now() - started;
  }
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
