import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import middy from '@middy/core';
import type {
  APIGatewayEventWebsocketRequestContextV2,
  APIGatewayProxyWebsocketEventV2WithRequestContext,
  Context,
} from 'aws-lambda';
import { ApiGatewayLiveSender } from '../src/adapters/apigw-live-sender.ts';
import { DynamoLiveConnections } from '../src/adapters/dynamo-live-connections.ts';
import { ConfigError } from '../src/config.ts';
import { ProgressFolder } from '../src/domain/live/fold.ts';
import type { LiveDeps, LiveSender } from '../src/domain/live/ports.ts';
import { awsClients, config, deps, logger } from './commons/dependencies.ts';
import { publishMetrics } from './commons/upload-metrics.ts';

/**
 * What the live-progress functions share, created once per cold start: the upload deps (progress
 * is read by the same use case as GET /progress), the connections in the table and the sender
 * that posts to the WebSocket stage's management API (`LIVE_CALLBACK_URL`, the stage's
 * `https://` callback URL; only the functions that send have it).
 */
const callbackUrl = process.env.LIVE_CALLBACK_URL;

const sender: LiveSender = callbackUrl
  ? new ApiGatewayLiveSender(
      new ApiGatewayManagementApiClient({
        region: config.region,
        endpoint: callbackUrl,
        requestHandler: { connectionTimeout: 1_000, socketTimeout: 2_000 },
      }),
    )
  : {
      send: () => {
        throw new ConfigError('LIVE_CALLBACK_URL must name the WebSocket stage callback URL');
      },
    };

export const liveDeps: LiveDeps = {
  upload: deps,
  connections: new DynamoLiveConnections(awsClients.documents, config.tableName),
  sender,
  folder: new ProgressFolder(deps.clock),
};

export { logger };

/** What API Gateway adds to WebSocket events once the $connect authorizer allowed the caller. */
export interface LiveRequestContext extends APIGatewayEventWebsocketRequestContextV2 {
  readonly authorizer?: { readonly principalId?: string; readonly userId?: string } | null;
}

export type LiveEvent = APIGatewayProxyWebsocketEventV2WithRequestContext<LiveRequestContext>;

export interface LiveResult {
  readonly statusCode: number;
}

/**
 * The stack of every WebSocket route: the Lambda context in each log line, and one line per
 * event (route, outcome, duration, connection and user; never headers, query string or body,
 * which may carry the token) plus what the handler adds. A route that throws answers 500.
 */
export function liveRoute(
  route: string,
  run: (event: LiveEvent) => Promise<{ statusCode: number; fields?: Record<string, unknown> }>,
): (event: LiveEvent, context: Context) => Promise<LiveResult> {
  return middy<LiveEvent, LiveResult>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const started = Date.now();
      const base = {
        route,
        connectionId: event.requestContext.connectionId,
        userId: event.requestContext.authorizer?.userId,
      };
      try {
        const { statusCode, fields } = await run(event);
        logger.info('live event', {
          ...base,
          ...fields,
          statusCode,
          durationMs: Date.now() - started,
        });
        return { statusCode };
      } catch (error) {
        logger.error('live event failed', {
          ...base,
          statusCode: 500,
          durationMs: Date.now() - started,
          error,
        });
        return { statusCode: 500 };
      } finally {
        publishMetrics();
      }
    }) as unknown as (event: LiveEvent, context: Context) => Promise<LiveResult>;
}
