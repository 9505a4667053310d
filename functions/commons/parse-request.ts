import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import type { z } from 'zod';
import { sessionNotFound, UploadError } from '../../src/domain/errors.ts';
import { userIdOf } from '../../src/domain/user-id.ts';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;

export interface RequestSchemas {
  readonly body?: z.ZodType;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface ParsedRequest<S extends RequestSchemas> {
  readonly userId: string;
  readonly body: Out<S['body']>;
  readonly params: Out<S['params']>;
  readonly query: Out<S['query']>;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

const SESSION_ID = /^[A-Za-z0-9-]{1,64}$/;

/** The caller, as the API Gateway JWT authorizer vouched for them. */
export function callerOf(event: ApiEvent): string {
  const sub = event.requestContext.authorizer?.jwt?.claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0)
    throw new UploadError('UNAUTHORIZED', 'Missing or invalid token');
  return userIdOf(sub);
}

export function parseRequest<S extends RequestSchemas>(
  schemas: S,
  event: ApiEvent,
): ParsedRequest<S> {
  const userId = callerOf(event);
  const id = event.pathParameters?.id;
  // An id we could never have issued is simply not found, exactly like a well-formed unknown one.
  if (id !== undefined && !SESSION_ID.test(id)) throw sessionNotFound();
  return {
    userId,
    body: validate(schemas.body, schemas.body ? readJsonBody(event) : undefined, 'body') as Out<
      S['body']
    >,
    params: validate(schemas.params, event.pathParameters ?? {}, 'path') as Out<S['params']>,
    query: validate(schemas.query, event.queryStringParameters ?? {}, 'query') as Out<S['query']>,
    headers: event.headers ?? {},
  };
}

function readJsonBody(event: ApiEvent): unknown {
  const raw =
    event.isBase64Encoded && event.body
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body;
  if (raw === undefined || raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new UploadError('VALIDATION_ERROR', 'Request body is not valid JSON', {
      fields: [{ field: 'body', message: 'malformed JSON' }],
    });
  }
}

function validate(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : where,
    message: issue.message,
  }));
  throw new UploadError(
    'VALIDATION_ERROR',
    `Invalid ${where}: ${fields.map((f) => f.field).join(', ')}`,
    {
      fields,
    },
  );
}

/** An optional header validated like any other input: a bad value is a 400 naming the header. */
export function optionalHeader<T>(
  request: { headers: Readonly<Record<string, string | undefined>> },
  name: string,
  schema: z.ZodType<T>,
): T | undefined {
  const value = request.headers[name.toLowerCase()];
  return value === undefined ? undefined : (validate(schema, value, name) as T);
}
