import { deleteFile } from '../src/domain/use-cases/delete-file.ts';
import { successResponse } from '../src/http/error-response.ts';
import { SessionParams } from '../src/http/schemas.ts';
import { deps } from './commons/dependencies.ts';
import { httpRoute } from './commons/http-route.ts';

export const handler = httpRoute(
  'deleteFile',
  { params: SessionParams },
  async ({ userId, params }) =>
    successResponse(200, await deleteFile(deps, { userId, sessionId: params.id })),
);
