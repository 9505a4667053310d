import * as z from 'zod';
import type { ErrorCode } from '../domain/errors.ts';
import { STATUS_BY_CODE } from './error-response.ts';
import { ROUTES, type RouteId } from './routes.ts';
import * as S from './schemas.ts';

type JsonSchema = Record<string, unknown>;

interface RouteDoc {
  readonly body?: z.ZodType;
  readonly bodyOptional?: true;
  readonly query?: Readonly<Record<string, { schema: z.ZodType; default?: unknown }>>;
  readonly headers?: Readonly<Record<string, z.ZodType>>;
  readonly status: 200 | 201;
  /** The success envelope's `data`; none means `{ success, message }`. */
  readonly data?: z.ZodType;
  /** The contract errors this route answers with, besides those every route may answer. */
  readonly errors: readonly ErrorCode[];
}

const EVERY_ROUTE: readonly ErrorCode[] = ['UNAUTHORIZED', 'STORAGE_UNAVAILABLE', 'INTERNAL_ERROR'];
const SESSION_ERRORS: readonly ErrorCode[] = [
  'SESSION_NOT_FOUND',
  'INVALID_STATE',
  'SESSION_EXPIRED',
  'SESSION_CANCELLED',
  'FILE_DELETED',
];

/** Request, response and error schemas per route: the same zod schemas the handlers validate with. */
const DOCS: Record<RouteId, RouteDoc> = {
  initiate: {
    body: S.InitiateRequest,
    headers: { 'Idempotency-Key': S.IdempotencyKey },
    status: 201,
    data: S.Session,
    errors: [
      'VALIDATION_ERROR',
      'IDEMPOTENCY_KEY_REUSED',
      'FILE_TOO_LARGE',
      'UNSUPPORTED_CONTENT_TYPE',
      'TOO_MANY_ACTIVE_UPLOADS',
    ],
  },
  chunkUrls: {
    body: S.ChunkUrlsRequest,
    status: 200,
    data: S.ChunkUrls,
    errors: ['VALIDATION_ERROR', ...SESSION_ERRORS, 'CHECKSUM_REQUIRED'],
  },
  recordChunk: {
    body: S.RecordChunkRequest,
    status: 200,
    data: S.RecordedChunk,
    errors: [
      'VALIDATION_ERROR',
      ...SESSION_ERRORS,
      'CHUNK_NOT_UPLOADED',
      'CHUNK_SIZE_MISMATCH',
      'ETAG_MISMATCH',
    ],
  },
  recordChunks: {
    body: S.RecordChunksRequest,
    status: 200,
    data: S.RecordedChunks,
    errors: ['VALIDATION_ERROR', ...SESSION_ERRORS],
  },
  progress: { status: 200, data: S.Progress, errors: ['SESSION_NOT_FOUND'] },
  resume: { status: 200, data: S.ResumeState, errors: SESSION_ERRORS },
  complete: {
    body: S.CompleteRequest,
    bodyOptional: true,
    status: 200,
    data: S.FileRecord,
    errors: ['VALIDATION_ERROR', ...SESSION_ERRORS, 'CHUNKS_MISSING', 'COMPLETION_IN_PROGRESS'],
  },
  cancel: {
    status: 200,
    errors: ['SESSION_NOT_FOUND', 'INVALID_STATE', 'SESSION_EXPIRED', 'FILE_DELETED'],
  },
  getUpload: { status: 200, data: S.Session, errors: ['SESSION_NOT_FOUND'] },
  download: { status: 200, data: S.DownloadUrl, errors: SESSION_ERRORS },
  listUploads: {
    query: {
      status: { schema: S.ListStatus, default: 'all' },
      limit: { schema: S.ListLimit, default: 20 },
      cursor: { schema: S.Cursor },
    },
    status: 200,
    data: S.SessionList,
    errors: ['VALIDATION_ERROR'],
  },
  deleteFile: {
    status: 200,
    data: S.DeletedFile,
    errors: ['SESSION_NOT_FOUND', 'INVALID_STATE'],
  },
};

interface Link {
  readonly operationId: RouteId;
  readonly parameters: Readonly<Record<string, string | number>>;
}
const NEW_ID = '$response.body#/data/id';
const SAME_ID = '$request.path.id';
const sessionLink = (operationId: RouteId, id = NEW_ID): Link => ({
  operationId,
  parameters: { id },
});

/** Where an answer leads: stateful testing follows these from initiate to record and complete. */
const LINKS: Partial<Record<RouteId, Record<string, Link>>> = {
  initiate: {
    ChunkUrls: sessionLink('chunkUrls'),
    RecordChunk: { operationId: 'recordChunk', parameters: { id: NEW_ID, chunkNumber: 0 } },
    RecordChunks: sessionLink('recordChunks'),
    Progress: sessionLink('progress'),
    Resume: sessionLink('resume'),
    Complete: sessionLink('complete'),
    Cancel: sessionLink('cancel'),
    GetUpload: sessionLink('getUpload'),
    Download: sessionLink('download'),
    DeleteFile: sessionLink('deleteFile'),
  },
  chunkUrls: {
    RecordChunk: {
      operationId: 'recordChunk',
      parameters: { id: SAME_ID, chunkNumber: '$response.body#/data/chunks/0/chunkNumber' },
    },
  },
  recordChunk: { Complete: sessionLink('complete', SAME_ID) },
  recordChunks: { Complete: sessionLink('complete', SAME_ID) },
  complete: {
    Download: sessionLink('download', SAME_ID),
    DeleteFile: sessionLink('deleteFile', SAME_ID),
  },
};

const inputSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
};
const outputSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { unrepresentable: 'any' });
  return rest;
};

const jsonContent = (schema: JsonSchema) => ({ 'application/json': { schema } });

/**
 * Request and response shapes by name in `components.schemas`, referenced from the paths: the
 * client's types are generated from them (`npm run generate:contract`), so server, document and
 * client share one definition.
 */
const REQUESTS = {
  InitiateRequest: S.InitiateRequest,
  ChunkUrlsRequest: S.ChunkUrlsRequest,
  RecordChunkRequest: S.RecordChunkRequest,
  RecordChunksRequest: S.RecordChunksRequest,
  CompleteRequest: S.CompleteRequest,
} satisfies Record<string, z.ZodType>;
const RESPONSES = {
  Session: S.Session,
  ChunkUrls: S.ChunkUrls,
  RecordedChunk: S.RecordedChunk,
  RecordedChunks: S.RecordedChunks,
  Progress: S.Progress,
  ResumeState: S.ResumeState,
  FileRecord: S.FileRecord,
  DownloadUrl: S.DownloadUrl,
  DeletedFile: S.DeletedFile,
  SessionList: S.SessionList,
} satisfies Record<string, z.ZodType>;

function refTo(named: Record<string, z.ZodType>, schema: z.ZodType): JsonSchema {
  const name = Object.entries(named).find(([, candidate]) => candidate === schema)?.[0];
  if (!name) throw new Error('every route body and data schema must be named in openapi.ts');
  return { $ref: `#/components/schemas/${name}` };
}

const mapValues = (named: Record<string, z.ZodType>, toJson: (s: z.ZodType) => JsonSchema) =>
  Object.fromEntries(Object.entries(named).map(([name, schema]) => [name, toJson(schema)]));

function successBody(data?: z.ZodType): JsonSchema {
  if (!data) return outputSchema(z.object({ success: z.literal(true), message: z.string() }));
  const envelope = outputSchema(z.object({ success: z.literal(true) }));
  return {
    ...envelope,
    properties: { ...(envelope.properties as object), data: refTo(RESPONSES, data) },
    required: ['success', 'data'],
  };
}

const errorBody = (codes: readonly ErrorCode[]) =>
  outputSchema(
    z.object({
      success: z.literal(false),
      error: z.object({
        code: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
        message: z.string(),
        details: z.record(z.string(), z.unknown()).optional(),
      }),
    }),
  );

/** API Gateway's own answer (JWT authorizer, throttling, payload limit, function timeout). */
const GATEWAY_BODY = { $ref: '#/components/schemas/GatewayError' };

const retryAfter = (required: boolean, description: string) => ({
  'Retry-After': { required, description, schema: { type: 'integer', minimum: 0 } },
});

function retryAfterHeader(status: number, codes: readonly ErrorCode[]) {
  if (status === 503) return retryAfter(true, 'Seconds to wait before retrying');
  if (status === 409 && codes.includes('COMPLETION_IN_PROGRESS'))
    return retryAfter(false, 'Sent with COMPLETION_IN_PROGRESS: seconds to wait before retrying');
  if (status === 429)
    return retryAfter(
      false,
      'Seconds to wait, when present; TOO_MANY_ACTIVE_UPLOADS has none (it clears when a live session ends)',
    );
  return undefined;
}

/** One response per error status, its `code` limited to the codes this route answers with. */
function errorResponses(doc: RouteDoc): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...doc.errors, ...EVERY_ROUTE]) {
    const status = STATUS_BY_CODE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const envelope = errorBody(codes);
    const fromGateway = status === 401 || status === 429 || status === 503;
    const headers = retryAfterHeader(status, codes);
    responses[status] = {
      description: codes.join(', '),
      ...(headers ? { headers } : {}),
      content: jsonContent(fromGateway ? { anyOf: [envelope, GATEWAY_BODY] } : envelope),
    };
  }
  responses[413] ??= {
    description: 'Request too large (API Gateway)',
    content: jsonContent(GATEWAY_BODY),
  };
  responses[504] = {
    description: 'Function timed out (API Gateway)',
    content: jsonContent(GATEWAY_BODY),
  };
  return responses;
}

function parameters(path: string, doc: RouteDoc): unknown[] {
  const inPath = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: inputSchema(name === 'chunkNumber' ? S.ChunkNumberParam : S.SessionId),
    ...(name === 'id' ? { description: 'Any id this API did not issue is 404' } : {}),
  }));
  const inQuery = Object.entries(doc.query ?? {}).map(([name, q]) => ({
    name,
    in: 'query',
    schema: {
      ...inputSchema(q.schema),
      ...(q.default === undefined ? {} : { default: q.default }),
    },
  }));
  const inHeaders = Object.entries(doc.headers ?? {}).map(([name, schema]) => ({
    name,
    in: 'header',
    schema: inputSchema(schema),
  }));
  return [...inPath, ...inQuery, ...inHeaders];
}

function successResponses(id: RouteId, doc: RouteDoc): Record<string, unknown> {
  const links = LINKS[id];
  const success = {
    description: 'Success',
    content: jsonContent(successBody(doc.data)),
    ...(links ? { links } : {}),
  };
  return id === 'initiate'
    ? { 201: success, 200: { ...success, description: 'The existing session (a replay)' } }
    : { [doc.status]: success };
}

export function buildOpenApiDocument(serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const doc = DOCS[route.id];
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      operationId: route.id,
      summary: route.summary,
      parameters: parameters(route.path, doc),
      ...(doc.body
        ? {
            requestBody: {
              required: !doc.bodyOptional,
              content: jsonContent(refTo(REQUESTS, doc.body)),
            },
          }
        : {}),
      responses: { ...successResponses(route.id, doc), ...errorResponses(doc) },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Resumable Upload API',
      version: '1.0.0',
      description:
        'Chunked, resumable uploads to S3. Every answer of a function is the envelope ' +
        '`{ success, data }` or `{ success: false, error: { code, message, details? } }`; ' +
        'API Gateway answers some 401, 413, 429, 503 and 504 itself with `{ message }`.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        ...mapValues(REQUESTS, inputSchema),
        ...mapValues(RESPONSES, outputSchema),
        Error: outputSchema(S.ErrorBody),
        GatewayError: {
          type: 'object',
          required: ['message'],
          properties: { message: { type: 'string' } },
        },
      },
    },
  };
}
