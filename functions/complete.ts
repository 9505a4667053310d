import { completeUpload } from '../src/domain/use-cases/complete-upload.ts';
import { successResponse } from '../src/http/error-response.ts';
import { CompleteRequest, SessionParams } from '../src/http/schemas.ts';
import { deps } from './commons/dependencies.ts';
import { httpRoute } from './commons/http-route.ts';

export const handler = httpRoute(
  'complete',
  { body: CompleteRequest, params: SessionParams },
  async ({ userId, body, params }) =>
    successResponse(200, await completeUpload(deps, { userId, sessionId: params.id, ...body })),
);
