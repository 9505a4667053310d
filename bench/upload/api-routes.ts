/**
 * Names API requests by route for the counts, with the server's own route table, and says which
 * routes sign chunk URLs and which record stored chunks. The batch record route
 * (`PUT /uploads/{id}/chunks`) counts as a record whether or not the table has it yet, under its
 * table id when it has one, else `recordChunks`.
 */
import { API_BASE_PATH, matchRoute } from '../../src/http/routes.ts';

const idOf = (method: string, path: string): string | undefined =>
  matchRoute(method, `${API_BASE_PATH}${path}`)?.route.id;

/** The route id the batch record route has when the table does not have it. */
export const BATCH_RECORD_FALLBACK = 'recordChunks';

const BATCH_RECORD_PATH = new RegExp(`^${API_BASE_PATH}/uploads/[^/]+/chunks$`);

/** POST /uploads/{id}/chunks: presigned URLs for chunks. */
export const SIGN_ROUTES: ReadonlySet<string> = new Set([
  idOf('POST', '/uploads/x/chunks') ?? 'chunkUrls',
]);

/** PUT /uploads/{id}/chunks/{n} (one chunk) and PUT /uploads/{id}/chunks (a batch). */
export const RECORD_ROUTES: ReadonlySet<string> = new Set([
  idOf('PUT', '/uploads/x/chunks/0') ?? 'recordChunk',
  idOf('PUT', '/uploads/x/chunks') ?? BATCH_RECORD_FALLBACK,
]);

/** The route id of an API request, `unmatched` when no route serves it. */
export function apiRouteOf(method: string, pathname: string): string {
  const upper = method.toUpperCase();
  const id = matchRoute(upper, pathname)?.route.id;
  if (id) return id;
  if (upper === 'PUT' && BATCH_RECORD_PATH.test(pathname)) return BATCH_RECORD_FALLBACK;
  return 'unmatched';
}

export interface CallCounts {
  readonly sign: number;
  readonly record: number;
  readonly initiate: number;
  readonly complete: number;
  readonly resume: number;
  readonly other: number;
  readonly total: number;
}

/** Sums counts by route into the kinds of call the benchmark reports. */
export function callCounts(byRoute: Readonly<Record<string, number>>): CallCounts {
  let sign = 0;
  let record = 0;
  let initiate = 0;
  let complete = 0;
  let resume = 0;
  let other = 0;
  for (const [route, n] of Object.entries(byRoute)) {
    if (SIGN_ROUTES.has(route)) sign += n;
    else if (RECORD_ROUTES.has(route)) record += n;
    else if (route === 'initiate') initiate += n;
    else if (route === 'complete') complete += n;
    else if (route === 'resume') resume += n;
    else other += n;
  }
  return {
    sign,
    record,
    initiate,
    complete,
    resume,
    other,
    total: sign + record + initiate + complete + resume + other,
  };
}

/** Adds counts by route. */
export function addCounts(
  into: Record<string, number>,
  more: Readonly<Record<string, number>>,
): Record<string, number> {
  for (const [key, n] of Object.entries(more)) into[key] = (into[key] ?? 0) + n;
  return into;
}
