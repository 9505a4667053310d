import { getDownloadUrl } from '../src/domain/use-cases/get-download-url.ts';
import { successResponse } from '../src/http/error-response.ts';
import { SessionParams } from '../src/http/schemas.ts';
import { deps } from './commons/dependencies.ts';
import { httpRoute } from './commons/http-route.ts';

export const handler = httpRoute(
  'download',
  { params: SessionParams },
  async ({ userId, params }) =>
    successResponse(200, await getDownloadUrl(deps, { userId, sessionId: params.id })),
);
