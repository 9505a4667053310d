import { initiateUpload } from '../src/domain/use-cases/initiate-upload.ts';
import { successResponse } from '../src/http/error-response.ts';
import { IdempotencyKey, InitiateRequest } from '../src/http/schemas.ts';
import { deps } from './commons/dependencies.ts';
import { httpRoute } from './commons/http-route.ts';
import { optionalHeader } from './commons/parse-request.ts';

export const handler = httpRoute('initiate', { body: InitiateRequest }, async (request) => {
  const idempotencyKey = optionalHeader(request, 'Idempotency-Key', IdempotencyKey);
  const result = await initiateUpload(deps, {
    ...request.body,
    userId: request.userId,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
  return successResponse(result.created ? 201 : 200, result.session);
});
