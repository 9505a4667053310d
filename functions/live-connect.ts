import { connect } from '../src/domain/live/use-cases.ts';
import { liveDeps, liveRoute } from './live-dependencies.ts';

/**
 * $connect, after the authorizer (live-authorizer.ts) accepted the token: records the connection
 * and its user. Anything but 200 refuses the connection.
 */
export const handler = liveRoute('$connect', async (event) => {
  const userId = event.requestContext.authorizer?.userId;
  if (!userId) return { statusCode: 401 };
  await connect(liveDeps, {
    connectionId: event.requestContext.connectionId,
    userId,
    connectedAt: new Date(event.requestContext.connectedAt),
  });
  return { statusCode: 200 };
});
