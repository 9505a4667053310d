import { recordChunks } from '../src/domain/use-cases/record-chunks.ts';
import { successResponse } from '../src/http/error-response.ts';
import { RecordChunksRequest, SessionParams } from '../src/http/schemas.ts';
import { deps } from './commons/dependencies.ts';
import { httpRoute } from './commons/http-route.ts';

export const handler = httpRoute(
  'recordChunks',
  { body: RecordChunksRequest, params: SessionParams },
  async ({ userId, body, params }) =>
    successResponse(200, await recordChunks(deps, { userId, sessionId: params.id, ...body })),
);
