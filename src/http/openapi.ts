import * as z from 'zod';
import { STATUS_BY_CODE } from './error-response.ts';
import { ROUTES, type RouteId } from './routes.ts';
import * as S from './schemas.ts';

interface RouteDoc {
  readonly request?: z.ZodType;
  readonly query?: boolean;
  readonly status: number;
  readonly data?: z.ZodType;
  readonly headers?: readonly string[];
}

/** Request and response schemas per route: the same zod schemas the handlers validate with. */
const DOCS: Record<RouteId, RouteDoc> = {
  initiate: {
    request: S.InitiateRequest,
    status: 201,
    data: S.Session,
    headers: ['Idempotency-Key'],
  },
  chunkUrls: { request: S.ChunkUrlsRequest, status: 200, data: S.ChunkUrls },
  recordChunk: { request: S.RecordChunkRequest, status: 200, data: S.RecordedChunk },
  progress: { status: 200, data: S.Progress },
  resume: { status: 200, data: S.ResumeState },
  complete: { request: S.CompleteRequest, status: 200, data: S.FileRecord },
  cancel: { status: 200 },
  getUpload: { status: 200, data: S.Session },
  download: { status: 200, data: S.DownloadUrl },
  listUploads: { query: true, status: 200, data: S.SessionList },
};

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

const envelope = (data?: z.ZodType) => ({
  type: 'object',
  required: ['success'],
  properties: {
    success: { const: true },
    ...(data
      ? { data: z.toJSONSchema(data, { unrepresentable: 'any' }) }
      : { message: { type: 'string' } }),
  },
});

export function buildOpenApiDocument(serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const doc = DOCS[route.id];
    const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema:
        m[1] === 'chunkNumber'
          ? { type: 'integer', minimum: 0, maximum: 9999 }
          : { type: 'string' },
    }));
    const queryParams = doc.query
      ? [
          {
            name: 'status',
            in: 'query',
            schema: { type: 'string', enum: ['active', 'uploaded', 'all'], default: 'all' },
          },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          },
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
        ]
      : [];
    const headerParams = (doc.headers ?? []).map((name) => ({
      name,
      in: 'header',
      schema: { type: 'string', maxLength: 255 },
    }));
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      operationId: route.id,
      summary: route.summary,
      security: [{ bearer: [] }],
      parameters: [...pathParams, ...queryParams, ...headerParams],
      ...(doc.request
        ? {
            requestBody: {
              required: route.id !== 'complete',
              content: { 'application/json': { schema: json(doc.request) } },
            },
          }
        : {}),
      responses: {
        [doc.status]: {
          description: 'Success',
          content: { 'application/json': { schema: envelope(doc.data) } },
        },
        ...(route.id === 'initiate'
          ? {
              200: {
                description: 'Existing session (idempotent replay)',
                content: { 'application/json': { schema: envelope(doc.data) } },
              },
            }
          : {}),
        default: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Resumable Upload API',
      version: '1.0.0',
      description: `Chunked, resumable uploads to S3. Error statuses: ${Object.entries(
        STATUS_BY_CODE,
      )
        .map(([code, status]) => `${code}=${status}`)
        .join(', ')}.`,
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: z.toJSONSchema(S.ErrorBody) },
    },
  };
}
