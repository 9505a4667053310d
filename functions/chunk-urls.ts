import { signChunks } from '../src/domain/use-cases/sign-chunks.ts';
import { successResponse } from '../src/http/error-response.ts';
import { ChunkUrlsRequest, SessionParams } from '../src/http/schemas.ts';
import { deps } from './commons/dependencies.ts';
import { httpRoute } from './commons/http-route.ts';

export const handler = httpRoute(
  'chunkUrls',
  { body: ChunkUrlsRequest, params: SessionParams },
  async ({ userId, body, params }) =>
    successResponse(
      200,
      await signChunks(deps, { userId, sessionId: params.id, chunks: body.chunks }),
    ),
);
