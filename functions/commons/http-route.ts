import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { Context } from 'aws-lambda';
import { errorCode, errorResponse, type HttpResponse } from '../../src/http/error-response.ts';
import type { RouteId } from '../../src/http/routes.ts';
import { config, logger } from './dependencies.ts';
import {
  type ApiEvent,
  type ParsedRequest,
  parseRequest,
  type RequestSchemas,
} from './parse-request.ts';
import { publishMetrics } from './upload-metrics.ts';

export type RouteHandler = (event: ApiEvent, context: Context) => Promise<HttpResponse>;

/**
 * Logs one line per request (route, outcome, status, duration, session and user; never headers,
 * tokens or URLs), publishes the invocation's metrics and turns any error into the contract's
 * envelope.
 */
const accessLogAndErrors = (route: RouteId): middy.MiddlewareObj<ApiEvent, HttpResponse> => {
  const startedAt = new WeakMap<ApiEvent, number>();
  const log = (request: middy.Request<ApiEvent, HttpResponse>, error?: unknown) => {
    const response = request.response;
    const fields = {
      route,
      outcome: error === undefined ? 'success' : errorCode(error),
      statusCode: response?.statusCode,
      durationMs: Date.now() - (startedAt.get(request.event) ?? Date.now()),
      sessionId: request.event.pathParameters?.id,
      userId: request.event.requestContext?.authorizer?.jwt?.claims?.sub,
    };
    if ((response?.statusCode ?? 500) >= 500) logger.error('request failed', { ...fields, error });
    else logger.info('request', fields);
    publishMetrics();
  };
  return {
    before: (request) => {
      startedAt.set(request.event, Date.now());
    },
    after: (request) => log(request),
    onError: (request) => {
      request.response = errorResponse(request.error);
      log(request, request.error);
    },
  };
};

/**
 * Every route shares this stack: header normalisation, CORS, request validation, the caller's
 * identity and error mapping. The handler only parses, calls one use case and maps the result.
 */
export function httpRoute<S extends RequestSchemas>(
  route: RouteId,
  schemas: S,
  run: (request: ParsedRequest<S>) => Promise<HttpResponse>,
): RouteHandler {
  return middy<ApiEvent, HttpResponse>()
    .use(injectLambdaContext(logger))
    .use(httpHeaderNormalizer())
    .use(httpCors({ origins: [...config.corsAllowedOrigins], exposeHeaders: 'retry-after' }))
    .use(accessLogAndErrors(route))
    .handler((event) => run(parseRequest(schemas, event))) as unknown as RouteHandler;
}
