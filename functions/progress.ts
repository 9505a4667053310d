import { getProgress } from '../src/domain/use-cases/get-progress.ts';
import { successResponse } from '../src/http/error-response.ts';
import { SessionParams } from '../src/http/schemas.ts';
import { deps } from './commons/dependencies.ts';
import { httpRoute } from './commons/http-route.ts';

export const handler = httpRoute(
  'progress',
  { params: SessionParams },
  async ({ userId, params }) =>
    successResponse(200, await getProgress(deps, { userId, sessionId: params.id })),
);
