import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../../src/http/openapi.ts';
import { ROUTES } from '../../../src/http/routes.ts';

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON, walked field by field
const doc = buildOpenApiDocument('http://127.0.0.1:3000') as any;
const operation = (method: string, path: string) => doc.paths[path][method];
/** A request body's schema, through its `$ref` to `components.schemas`. */
const requestSchema = (method: string, path: string) => {
  const { $ref } = operation(method, path).requestBody.content['application/json'].schema;
  return doc.components.schemas[$ref.replace('#/components/schemas/', '')];
};
const initiate = operation('post', '/api/v1/uploads/initiate');
const initiateBody = requestSchema('post', '/api/v1/uploads/initiate').properties;
const operations = ROUTES.map((r) => ({ route: r, op: operation(r.method.toLowerCase(), r.path) }));

/** A pattern as JavaScript reads it; Python's `re` (Schemathesis) cannot read these escapes. */
const jsPattern = (pattern: string) => {
  expect(pattern).not.toMatch(/\\p\{|\\u\{|\\s|\\d/);
  return new RegExp(pattern, 'u');
};
const errorCodes = (response: {
  content: { 'application/json': { schema: Record<string, unknown> } };
}) => {
  const schema = response.content['application/json'].schema;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const envelope: any = 'anyOf' in schema ? (schema.anyOf as unknown[])[0] : schema;
  return envelope.properties.error.properties.code.enum as string[];
};

describe('the OpenAPI document', () => {
  it('has one operation per route, each secured by the bearer JWT scheme', () => {
    // Act & Assess
    expect(operations.map(({ op }) => op?.operationId)).toEqual(ROUTES.map((r) => r.id));
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes.bearer).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
  });

  it('lists per route the error codes of each status, and every route the common ones', () => {
    // Act
    const complete = operation('post', '/api/v1/uploads/{id}/complete').responses;

    // Assess
    expect(errorCodes(complete['409']).sort()).toEqual(
      ['CHUNKS_MISSING', 'COMPLETION_IN_PROGRESS', 'INVALID_STATE'].sort(),
    );
    expect(errorCodes(initiate.responses['429'])).toEqual(['TOO_MANY_ACTIVE_UPLOADS']);
    for (const { op } of operations) {
      expect(errorCodes(op.responses['401'])).toEqual(['UNAUTHORIZED']);
      expect(errorCodes(op.responses['503'])).toEqual(['STORAGE_UNAVAILABLE']);
      expect(errorCodes(op.responses['500'])).toEqual(['INTERNAL_ERROR']);
      expect(op.responses.default).toBeUndefined();
    }
  });

  it('documents Retry-After on 503 (always) and on COMPLETION_IN_PROGRESS and 429', () => {
    // Act
    const complete = operation('post', '/api/v1/uploads/{id}/complete').responses;

    // Assess
    expect(complete['503'].headers['Retry-After'].required).toBe(true);
    expect(complete['409'].headers['Retry-After'].required).toBe(false);
    expect(initiate.responses['429'].headers['Retry-After']).toBeDefined();
    expect(operation('get', '/api/v1/uploads/{id}').responses['409']).toBeUndefined();
  });

  it('states the file name rules as patterns both JavaScript and Python can read', () => {
    // Prepare
    const [chars, notOnlyDots] = initiateBody.fileName.allOf.map((p: { pattern: string }) =>
      jsPattern(p.pattern),
    );
    const valid = (name: string) => chars.test(name) && notOnlyDots.test(name);

    // Act & Assess
    expect(initiateBody.fileName).toMatchObject({ minLength: 1, maxLength: 255 });
    expect(['video.mp4', 'résumé 日本.txt', 'photo 📷.jpg', '📷'.repeat(255)].every(valid)).toBe(
      true,
    );
    for (const spoof of ['a\u202Eb', 'a\u200Bb', '\uFEFFa', 'a\u2066b', 'a\u0000b', 'a\u2028b'])
      expect(valid(spoof)).toBe(false);
    for (const notAName of ['..', ' . ', '', '📷'.repeat(256)]) expect(valid(notAName)).toBe(false);
  });

  it('states the metadata limits and its reserved keys', () => {
    // Prepare
    const { metadata } = initiateBody;
    const keyPatterns = metadata.propertyNames.allOf.map((p: { pattern: string }) =>
      jsPattern(p.pattern),
    );
    const keyValid = (key: string) => keyPatterns.every((p: RegExp) => p.test(key));

    // Act & Assess
    expect(metadata.maxProperties).toBe(20);
    expect(metadata.additionalProperties).toMatchObject({ type: 'string', maxLength: 1024 });
    expect(metadata.description).toMatch(/2048/);
    expect(['project', 'owner-id', 'toString', 'Constructor'].every(keyValid)).toBe(true);
    expect(['__proto__', 'constructor', 'prototype', 'bad key', ''].some(keyValid)).toBe(false);
  });

  it('bounds every number, digest, header and query parameter the server bounds', () => {
    // Prepare
    const chunkItem = requestSchema('post', '/api/v1/uploads/{id}/chunks').properties.chunks;
    const params = (path: string, method: string) =>
      Object.fromEntries(
        operation(method, path).parameters.map((p: { name: string; schema: unknown }) => [
          p.name,
          p.schema,
        ]),
      );

    // Act & Assess
    expect(initiateBody.fileSize).toMatchObject({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
    expect(initiateBody.chunkSize).toMatchObject({ minimum: 1, maximum: 5 * 1024 ** 3 });
    expect(initiateBody.fileSha256).toMatchObject({ minLength: 44, maxLength: 44 });
    expect(chunkItem).toMatchObject({ minItems: 1, maxItems: 100 });
    expect(chunkItem.items.properties.chunkNumber).toMatchObject({ minimum: 0, maximum: 9999 });
    expect(params('/api/v1/uploads/initiate', 'post')['Idempotency-Key']).toMatchObject({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]{1,255}$',
    });
    expect(params('/api/v1/uploads', 'get')).toMatchObject({
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      cursor: { minLength: 1, maxLength: 512 },
    });
    expect(params('/api/v1/uploads/{id}/chunks/{chunkNumber}', 'put')).toMatchObject({
      id: { pattern: '^[A-Za-z0-9-]{1,64}$' },
      chunkNumber: { type: 'integer', minimum: 0, maximum: 9999 },
    });
  });

  it('links a new session to every session operation, record and complete included', () => {
    // Prepare
    const ids = new Set<string>(ROUTES.map((r) => r.id));
    const links = initiate.responses['201'].links;

    // Act
    const targets = Object.values(links).map((l) => (l as { operationId: string }).operationId);

    // Assess
    expect(targets.sort()).toEqual(
      ROUTES.filter((r) => r.path.includes('{id}'))
        .map((r) => r.id)
        .sort(),
    );
    expect(links.RecordChunk.parameters).toEqual({
      id: '$response.body#/data/id',
      chunkNumber: 0,
    });
    for (const { op } of operations)
      for (const response of Object.values(op.responses))
        for (const link of Object.values((response as { links?: object }).links ?? {}))
          expect(ids.has((link as { operationId: string }).operationId)).toBe(true);
  });
});
