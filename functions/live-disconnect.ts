import { disconnect } from '../src/domain/live/use-cases.ts';
import { liveDeps, liveRoute } from './live-dependencies.ts';

/**
 * $disconnect: forgets the connection and its subscriptions. API Gateway delivers it at best
 * effort; whatever a lost one leaves behind is found gone by the next push, or expires (TTL).
 */
export const handler = liveRoute('$disconnect', async (event) => {
  await disconnect(liveDeps, { connectionId: event.requestContext.connectionId });
  return { statusCode: 200 };
});
