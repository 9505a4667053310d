/**
 * Latency of every route of the local API, one request at a time, over the whole life of small
 * one-chunk sessions: initiate, sign, (PUT to storage), record, progress, get, resume, complete,
 * download, list; and initiate + cancel of a second session.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { UploadApiClient } from '../../client/sdk/api.ts';
import { UploadStorageError } from '../../client/sdk/errors.ts';
import { ROUTES, type RouteId } from '../../src/http/routes.ts';
import { describeError, isTransient, type RetryLog } from './attempts.ts';
import { note, percentile } from './support.ts';

export interface LatencySetup {
  readonly apiUrl: string;
  readonly token: string;
  /** Measured sessions: each route is timed once per session. */
  readonly sessions: number;
  /** Sessions run first and not measured (module and connection warm-up). */
  readonly warmup: number;
  readonly fileSize: number;
  /** Attempts of one call while it fails transiently; only the successful attempt is timed. */
  readonly attempts: number;
  readonly retries: RetryLog;
}

/** A route of the API, or the chunk PUT straight to storage (shown for comparison). */
export type Timed = RouteId | 'storagePut' | 'untimed';

export interface RouteLatency {
  readonly route: Timed;
  readonly request: string;
  readonly n: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** Calls of this route done again after a transient failure (not in the samples). */
  readonly retries: number;
}

const ORDER: readonly Timed[] = [
  'initiate',
  'chunkUrls',
  'storagePut',
  'recordChunk',
  'progress',
  'getUpload',
  'resume',
  'complete',
  'download',
  'listUploads',
  'cancel',
];

const requestOf = (route: Timed): string => {
  if (route === 'storagePut') return 'PUT <presigned URL> (storage, not the API)';
  const definition = ROUTES.find((r) => r.id === route);
  return definition ? `${definition.method} ${definition.path.replace('/api/v1', '')}` : route;
};

export async function measureLatency(setup: LatencySetup): Promise<RouteLatency[]> {
  // No retries inside the client: a retried call would hide in a slow sample. A call that fails
  // transiently is made again below, timed alone and counted.
  const api = new UploadApiClient({
    apiUrl: setup.apiUrl,
    token: setup.token,
    retry: { retries: 0 },
  });
  const samples = new Map<Timed, number[]>(ORDER.map((route) => [route, []]));
  const retried = new Map<Timed, number>();
  let record = false;
  const time = async <T>(route: Timed, call: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const result = await call();
        if (record) samples.get(route)?.push(performance.now() - started);
        return result;
      } catch (error) {
        if (attempt >= setup.attempts || !isTransient(error)) throw error;
        retried.set(route, (retried.get(route) ?? 0) + 1);
        setup.retries.record(`latency ${route}`, attempt, describeError(error));
      }
    }
  };

  const total = setup.warmup + setup.sessions;
  for (let i = 0; i < total; i++) {
    record = i >= setup.warmup;
    if (i === setup.warmup) note(`latency: measuring ${setup.sessions} sessions`);
    const bytes = new Uint8Array(randomBytes(setup.fileSize));
    const checksumSha256 = createHash('sha256').update(bytes).digest('base64');
    const initiate = () =>
      api.initiate(
        {
          fileName: `latency-${i}.bin`,
          fileSize: setup.fileSize,
          contentType: 'application/octet-stream',
          checksum: 'SHA256',
        },
        { idempotencyKey: randomUUID() },
      );
    const session = await time('initiate', initiate);
    const { chunks } = await time('chunkUrls', () =>
      api.signChunks(session.id, [{ chunkNumber: 0, checksumSha256 }]),
    );
    const signed = chunks[0];
    if (!signed) throw new Error(`no URL for chunk 0 of ${session.id}`);
    const etag = await time('storagePut', async () => {
      const response = await fetch(signed.url, {
        method: signed.method,
        headers: signed.headers,
        body: bytes,
      });
      await response.arrayBuffer();
      const value = response.headers.get('etag');
      if (!response.ok || !value)
        throw new UploadStorageError(
          `storage PUT answered HTTP ${response.status}`,
          response.status,
          0,
        );
      return value;
    });
    await time('recordChunk', () => api.recordChunk(session.id, 0, { etag, checksumSha256 }));
    await time('progress', () => api.progress(session.id));
    await time('getUpload', () => api.get(session.id));
    await time('resume', () => api.resume(session.id));
    const file = await time('complete', () => api.complete(session.id));
    if (file.size !== setup.fileSize) throw new Error(`completed ${file.size} bytes`);
    await time('download', () => api.downloadUrl(session.id));
    await time('listUploads', () => api.list({ status: 'all', limit: 20 }));
    const other = await time('untimed', initiate); // only its cancel is timed
    await time('cancel', () => api.cancel(other.id));
  }

  return ORDER.map((route) => {
    const values = samples.get(route) ?? [];
    return {
      route,
      request: requestOf(route),
      n: values.length,
      p50Ms: percentile(values, 50),
      p90Ms: percentile(values, 90),
      p99Ms: percentile(values, 99),
      maxMs: Math.max(...values),
      meanMs: values.reduce((a, b) => a + b, 0) / values.length,
      retries: retried.get(route) ?? 0,
    };
  });
}
