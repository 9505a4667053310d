/**
 * The one route table: the local server and the CDK stack both build from it, so the two
 * always serve the same set of routes. `handler` is the module under functions/.
 */
export interface RouteDefinition {
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly handler: string;
  readonly summary: string;
}

export const API_BASE_PATH = '/api/v1';

export const ROUTES = [
  {
    id: 'initiate',
    method: 'POST',
    path: '/api/v1/uploads/initiate',
    handler: 'initiate',
    summary: 'Start an upload session',
  },
  {
    id: 'chunkUrls',
    method: 'POST',
    path: '/api/v1/uploads/{id}/chunks',
    handler: 'chunk-urls',
    summary: 'Presigned URLs for chunks',
  },
  {
    id: 'recordChunk',
    method: 'PUT',
    path: '/api/v1/uploads/{id}/chunks/{chunkNumber}',
    handler: 'record-chunk',
    summary: 'Record an uploaded chunk',
  },
  {
    id: 'recordChunks',
    method: 'PUT',
    path: '/api/v1/uploads/{id}/chunks',
    handler: 'record-chunks',
    summary: 'Record many uploaded chunks at once',
  },
  {
    id: 'progress',
    method: 'GET',
    path: '/api/v1/uploads/{id}/progress',
    handler: 'progress',
    summary: 'Upload progress',
  },
  {
    id: 'resume',
    method: 'POST',
    path: '/api/v1/uploads/{id}/resume',
    handler: 'resume',
    summary: 'Reconcile with storage and list missing chunks',
  },
  {
    id: 'complete',
    method: 'POST',
    path: '/api/v1/uploads/{id}/complete',
    handler: 'complete',
    summary: 'Assemble the file',
  },
  {
    id: 'cancel',
    method: 'DELETE',
    path: '/api/v1/uploads/{id}',
    handler: 'cancel',
    summary: 'Cancel and release stored parts',
  },
  {
    id: 'getUpload',
    method: 'GET',
    path: '/api/v1/uploads/{id}',
    handler: 'get-upload',
    summary: 'The session',
  },
  {
    id: 'download',
    method: 'GET',
    path: '/api/v1/uploads/{id}/download',
    handler: 'download',
    summary: 'Presigned download URL',
  },
  {
    id: 'listUploads',
    method: 'GET',
    path: '/api/v1/uploads',
    handler: 'list-uploads',
    summary: "The caller's sessions, newest first",
  },
  {
    id: 'deleteFile',
    method: 'DELETE',
    path: '/api/v1/uploads/{id}/file',
    handler: 'delete-file',
    summary: 'Delete the finished file',
  },
] as const satisfies readonly RouteDefinition[];

export type RouteId = (typeof ROUTES)[number]['id'];

/** API Gateway's route key, e.g. `POST /api/v1/uploads/{id}/chunks`. */
export const routeKey = (route: RouteDefinition): string => `${route.method} ${route.path}`;

/** Matches a concrete path against the table; returns the route and its path parameters. */
export function matchRoute(
  method: string,
  path: string,
): { route: RouteDefinition; pathParameters: Record<string, string> } | undefined {
  const segments = path.split('/');
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const pattern = route.path.split('/');
    if (pattern.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = pattern.every((part, i) => {
      const segment = segments[i] ?? '';
      if (part.startsWith('{') && part.endsWith('}')) {
        if (segment === '') return false;
        pathParameters[part.slice(1, -1)] = decodeURIComponent(segment);
        return true;
      }
      return part === segment;
    });
    if (matches) return { route, pathParameters };
  }
  return undefined;
}
