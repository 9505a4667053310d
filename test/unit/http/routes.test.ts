import { describe, expect, it } from 'vitest';
import { matchRoute, ROUTES, routeKey } from '../../../src/http/routes.ts';

describe('matchRoute', () => {
  it.each([
    ['POST', '/api/v1/uploads/initiate', 'initiate', {}],
    ['POST', '/api/v1/uploads/s1/chunks', 'chunkUrls', { id: 's1' }],
    ['PUT', '/api/v1/uploads/s1/chunks/7', 'recordChunk', { id: 's1', chunkNumber: '7' }],
    ['PUT', '/api/v1/uploads/s1/chunks', 'recordChunks', { id: 's1' }],
    ['GET', '/api/v1/uploads/s1/progress', 'progress', { id: 's1' }],
    ['POST', '/api/v1/uploads/s1/resume', 'resume', { id: 's1' }],
    ['POST', '/api/v1/uploads/s1/complete', 'complete', { id: 's1' }],
    ['DELETE', '/api/v1/uploads/s1', 'cancel', { id: 's1' }],
    ['GET', '/api/v1/uploads/s1', 'getUpload', { id: 's1' }],
    ['GET', '/api/v1/uploads/s1/download', 'download', { id: 's1' }],
    ['GET', '/api/v1/uploads', 'listUploads', {}],
  ])('matches %s %s to %s', (method, path, id, pathParameters) => {
    // Act
    const match = matchRoute(method, path);

    // Assess
    expect(match?.route.id).toBe(id);
    expect(match?.pathParameters).toEqual(pathParameters);
  });

  it('covers every route in the table exactly once', () => {
    // Prepare: a concrete path for each route template.
    const concrete = ROUTES.map((route) =>
      route.path.replace('{id}', 'abc').replace('{chunkNumber}', '0'),
    );

    // Act
    const matched = ROUTES.map((route, i) => matchRoute(route.method, concrete[i] ?? '')?.route);

    // Assess
    expect(matched).toEqual([...ROUTES]);
    expect(new Set(ROUTES.map(routeKey)).size).toBe(ROUTES.length);
  });

  it.each([
    ['GET', '/api/v1/uploads/s1/chunks'],
    ['POST', '/api/v1/uploads/s1/progress'],
    ['PATCH', '/api/v1/uploads/s1/chunks'],
    ['DELETE', '/api/v1/uploads/s1/progress'],
    ['PATCH', '/api/v1/uploads/s1'],
    ['POST', '/api/v1/uploads'],
  ])('does not match the wrong method %s %s', (method, path) => {
    // Act & Assess
    expect(matchRoute(method, path)).toBeUndefined();
  });

  it.each([
    '/api/v1/uploads/s1/chunks/7/extra',
    '/api/v1/uploads/s1/progress/',
    '/api/v1/uploads/s1/unknown',
    '/api/v2/uploads/s1/progress',
    '/api/v1/uploads//progress',
    'api/v1/uploads/s1/progress',
  ])('does not match GET %s', (path) => {
    // Act & Assess
    expect(matchRoute('GET', path)).toBeUndefined();
  });

  it('does not match PUT with an empty chunk number', () => {
    // Act & Assess
    expect(matchRoute('PUT', '/api/v1/uploads/s1/chunks/')).toBeUndefined();
  });

  it('percent-decodes path parameters', () => {
    // Act
    const match = matchRoute('PUT', '/api/v1/uploads/a%20b%2Fc%C3%A9/chunks/1%32');

    // Assess
    expect(match?.route.id).toBe('recordChunk');
    expect(match?.pathParameters).toEqual({ id: 'a b/c\u00e9', chunkNumber: '12' });
  });

  it('throws a URIError for malformed percent-encoding (callers catch it)', () => {
    // Act & Assess
    expect(() => matchRoute('GET', '/api/v1/uploads/%E0%A4%A')).toThrow(URIError);
  });
});
