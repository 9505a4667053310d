import { listUploads } from '../src/domain/use-cases/list-uploads.ts';
import { successResponse } from '../src/http/error-response.ts';
import { ListQuery } from '../src/http/schemas.ts';
import { deps } from './commons/dependencies.ts';
import { httpRoute } from './commons/http-route.ts';

export const handler = httpRoute('listUploads', { query: ListQuery }, async ({ userId, query }) =>
  successResponse(200, await listUploads(deps, { userId, ...query })),
);
