import { recordChunk } from '../src/domain/use-cases/record-chunk.ts';
import { successResponse } from '../src/http/error-response.ts';
import { ChunkParams, RecordChunkRequest } from '../src/http/schemas.ts';
import { deps } from './commons/dependencies.ts';
import { httpRoute } from './commons/http-route.ts';

export const handler = httpRoute(
  'recordChunk',
  { body: RecordChunkRequest, params: ChunkParams },
  async ({ userId, body, params }) =>
    successResponse(
      200,
      await recordChunk(deps, {
        userId,
        sessionId: params.id,
        chunkNumber: params.chunkNumber,
        ...body,
      }),
    ),
);
