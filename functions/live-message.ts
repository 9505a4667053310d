import { receiveMessage } from '../src/domain/live/use-cases.ts';
import { errorCode } from '../src/http/error-response.ts';
import { liveDeps, liveRoute } from './live-dependencies.ts';

/**
 * $default: every client message (`subscribe` / `unsubscribe`). Answers, snapshots and errors
 * go back through the management API, so the route needs no route response; the connection
 * stays open whatever the message was.
 */
export const handler = liveRoute('$default', async (event) => {
  const { connectionId } = event.requestContext;
  const userId =
    event.requestContext.authorizer?.userId ??
    (await liveDeps.connections.getConnection(connectionId))?.userId;
  // A connection with no record: closed, or expired while still open.
  if (!userId) return { statusCode: 410, fields: { outcome: 'connection-gone' } };
  const body =
    event.isBase64Encoded && event.body
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : (event.body ?? '');
  const outcome = await receiveMessage(liveDeps, { connectionId, userId, body });
  return {
    statusCode: 200,
    fields: {
      action: outcome.action,
      sessionId: outcome.sessionId,
      outcome: outcome.outcome,
      ...(outcome.error !== undefined ? errorFields(outcome.error) : {}),
    },
  };
});

/** The code the client was told; for a failure of ours (not the client's), the error as well. */
function errorFields(error: unknown): Record<string, unknown> {
  const code = errorCode(error);
  const ours = code === 'INTERNAL_ERROR' || code === 'STORAGE_UNAVAILABLE';
  return ours ? { code, error } : { code };
}
