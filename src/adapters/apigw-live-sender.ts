import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ConnectionGoneError } from '../domain/live/errors.ts';
import { type ServerMessage, serializeMessage } from '../domain/live/messages.ts';
import type { LiveSender } from '../domain/live/ports.ts';

/**
 * Sends live messages through the API Gateway management API of the WebSocket stage
 * (PostToConnection). A connection the API no longer knows (410 GoneException) is a
 * ConnectionGoneError; anything else (throttling, 5xx: see isTransient) is rethrown as is.
 */
export class ApiGatewayLiveSender implements LiveSender {
  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  async send(connectionId: string, message: ServerMessage): Promise<void> {
    try {
      await this.client.send(
        new PostToConnectionCommand({
          ConnectionId: connectionId,
          Data: new TextEncoder().encode(serializeMessage(message)),
        }),
      );
    } catch (error) {
      throw translateSendError(error, connectionId);
    }
  }
}

export function translateSendError(error: unknown, connectionId: string): unknown {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (e?.name === 'GoneException' || e?.$metadata?.httpStatusCode === 410) {
    return new ConnectionGoneError(connectionId, { cause: error });
  }
  return error;
}
