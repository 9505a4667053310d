/**
 * An in-memory upload API and storage behind one fetch, for the client's unit tests. It follows
 * shared/API.md for the routes the upload path uses and logs what the client does.
 *
 * With `fileSize` given, there is one session, `s`, of that file, and initiate always answers it.
 * Without, every initiate starts a session of its own (`s1`, `s2`, ...) for the file it names, so
 * many uploads can run against one backend; the session `s` (of an empty file) still exists for
 * tests that call its routes directly.
 */

export const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(status < 300 ? { success: true, data } : data), {
    status,
    headers: { 'content-type': 'application/json' },
  });

const failure = (status: number, code: string, details?: Record<string, unknown>) =>
  json({ success: false, error: { code, message: `fake ${code}`, details } }, status);

export interface InitiateBody {
  readonly fileName: string;
  readonly fileSize: number;
  readonly contentType?: string;
  readonly chunkSize?: number;
}

export interface FakeBackendOptions {
  /** Storage's status for a chunk PUT (default 200). */
  readonly storageAnswer?: (chunk: number, attempt: number, sessionId: string) => number;
  /** Per chunk, the codes its next record entries are rejected with, in order. */
  readonly rejections?: Readonly<Record<number, readonly string[]>>;
  /** How long storage takes to answer a PUT (default 2 ms). */
  readonly putDelayMs?: number;
  /** Record calls wait until `releaseRecords()` is called. */
  readonly holdRecords?: boolean;
  /** The file the one fake session is for (needed by initiate and complete). */
  readonly fileSize?: number;
  /** The chunk size the server decides when initiate asks for none. */
  readonly chunkSize?: number;
  /** Lists complete answers 409 CHUNKS_MISSING with, one per call; the chunks are dropped. */
  readonly missingOnComplete?: readonly (readonly number[])[];
  /** Live (initiated or uploading) sessions allowed at once; more answer 429. */
  readonly maxActiveSessions?: number;
  /** Larger files answer 413 FILE_TOO_LARGE. */
  readonly maxFileSize?: number;
  /** Other content types answer 415 UNSUPPORTED_CONTENT_TYPE. */
  readonly allowedContentTypes?: readonly string[];
  /** How long initiate takes (default 0). */
  readonly initiateDelayMs?: number;
}

export interface PutLog {
  readonly session: string;
  readonly chunk: number;
  readonly headers: Record<string, string>;
  readonly bytes: number;
  /** The byte values storage received, read after the PUT's time in flight. */
  readonly values: Set<number>;
}

type Status = 'initiated' | 'uploading' | 'uploaded' | 'cancelled' | 'expired';

interface FakeSession {
  readonly id: string;
  readonly fileName: string;
  readonly fileSize: number;
  readonly contentType: string;
  readonly chunkSize: number;
  readonly totalChunks: number;
  status: Status;
  readonly stored: Map<number, Uint8Array>;
  readonly recorded: Map<number, Uint8Array>;
}

const isLive = (s: FakeSession) => s.status === 'initiated' || s.status === 'uploading';

export function fakeBackend(options: FakeBackendOptions = {}) {
  const rejections = new Map(
    Object.entries(options.rejections ?? {}).map(([n, c]) => [+n, [...c]]),
  );
  const missingOnComplete = [...(options.missingOnComplete ?? [])];
  const log = {
    signCalls: [] as number[][],
    puts: [] as PutLog[],
    /** PUTs aborted by the client before storage answered. */
    abortedPuts: 0,
    recordCalls: [] as number[][],
    /** Recorded chunks, in the order the fake recorded them (a chunk again after a drop). */
    recorded: [] as number[],
    completeCalls: 0,
    /** At each complete call: chunks recorded and record calls still unanswered. */
    atComplete: [] as { recorded: number; recordsInFlight: number }[],
    /** Every call, in order: `sign`, `put n`, `record`, `recorded`, `complete`, ... */
    events: [] as string[],
    /** Every initiate, in order, with the status it was answered. */
    initiates: [] as { fileName: string; status: number }[],
    /** Sessions cancelled by DELETE, in order. */
    cancels: [] as string[],
    inFlight: 0,
    maxInFlight: 0,
    /** Most sessions live at once. */
    maxActive: 0,
    recordsInFlight: 0,
    maxRecordsInFlight: 0,
    /** Most chunks signed at once whose PUT had not yet succeeded. */
    maxSignedAhead: 0,
  };
  const attempts = new Map<string, number>();
  const signed = new Set<string>();
  const storedKeys = new Set<string>();
  let release = () => {};
  const released = options.holdRecords
    ? new Promise<void>((resolve) => (release = resolve))
    : Promise.resolve();
  const single = options.fileSize !== undefined;
  const sessions = new Map<string, FakeSession>();
  const idempotency = new Map<string, string>();
  /** Complete answers, so that a repeated complete answers the same. */
  const files = new Map<string, Uint8Array>();

  const newSession = (id: string, body: InitiateBody): FakeSession => {
    const chunkSize = body.chunkSize ?? options.chunkSize ?? Math.max(1, body.fileSize);
    const session: FakeSession = {
      id,
      fileName: body.fileName,
      fileSize: body.fileSize,
      contentType: body.contentType ?? 'application/octet-stream',
      chunkSize,
      totalChunks: Math.max(1, Math.ceil(body.fileSize / chunkSize)),
      status: 'initiated',
      stored: new Map(),
      recorded: new Map(),
    };
    sessions.set(id, session);
    return session;
  };
  newSession('s', { fileName: 'fake.bin', fileSize: options.fileSize ?? 0 });

  const sizeOf = (s: FakeSession, n: number) =>
    Math.min(s.fileSize, (n + 1) * s.chunkSize) - n * s.chunkSize;
  const uploadedBytes = (s: FakeSession) =>
    [...s.recorded.keys()].reduce((sum, n) => sum + sizeOf(s, n), 0);
  const view = (s: FakeSession) => ({
    id: s.id,
    fileId: `f-${s.id}`,
    fileName: s.fileName,
    fileSize: s.fileSize,
    contentType: s.contentType,
    chunkSize: s.chunkSize,
    totalChunks: s.totalChunks,
    status: s.status,
    uploadedBytes: uploadedBytes(s),
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-02T00:00:00.000Z',
    key: `k/${s.id}`,
    checksum: 'SHA256',
  });
  const missing = (s: FakeSession) =>
    Array.from({ length: s.totalChunks }, (_, n) => n).filter((n) => !s.recorded.has(n));
  const live = () => [...sessions.values()].filter((s) => s.id !== 's' && isLive(s)).length;

  const initiate = async (body: InitiateBody, key: string | undefined) => {
    if (options.initiateDelayMs) await delay(options.initiateDelayMs);
    const answer = (status: number, response: Response) => {
      log.initiates.push({ fileName: body.fileName, status });
      return response;
    };
    if (single) return answer(201, json(view(sessions.get('s') as FakeSession), 201));
    const known = key ? sessions.get(idempotency.get(key) ?? '') : undefined;
    if (known) return answer(200, json(view(known)));
    if (options.maxFileSize !== undefined && body.fileSize > options.maxFileSize)
      return answer(413, failure(413, 'FILE_TOO_LARGE', { maxFileSize: options.maxFileSize }));
    const type = body.contentType ?? 'application/octet-stream';
    if (options.allowedContentTypes && !options.allowedContentTypes.includes(type))
      return answer(415, failure(415, 'UNSUPPORTED_CONTENT_TYPE', { contentType: type }));
    if (body.fileName === '..')
      return answer(400, failure(400, 'VALIDATION_ERROR', { field: 'fileName' }));
    if (options.maxActiveSessions !== undefined && live() >= options.maxActiveSessions)
      return answer(
        429,
        failure(429, 'TOO_MANY_ACTIVE_UPLOADS', { limit: options.maxActiveSessions }),
      );
    const session = newSession(`s${sessions.size}`, body);
    if (key) idempotency.set(key, session.id);
    log.maxActive = Math.max(log.maxActive, live());
    return answer(201, json(view(session), 201));
  };

  const sign = (
    s: FakeSession,
    body: { chunks: { chunkNumber: number; checksumSha256?: string }[] },
  ) => {
    log.signCalls.push(body.chunks.map((c) => c.chunkNumber));
    log.events.push('sign');
    for (const c of body.chunks) signed.add(`${s.id}/${c.chunkNumber}`);
    log.maxSignedAhead = Math.max(
      log.maxSignedAhead,
      [...signed].filter((k) => !storedKeys.has(k)).length,
    );
    return json({
      chunks: body.chunks.map((c) => ({
        chunkNumber: c.chunkNumber,
        url: `http://storage.test/${s.id}/part/${c.chunkNumber}`,
        method: 'PUT',
        headers: c.checksumSha256 ? { 'x-amz-checksum-sha256': c.checksumSha256 } : {},
        size: sizeOf(s, c.chunkNumber),
        expiresAt: new Date(Date.now() + 900_000).toISOString(),
      })),
    });
  };

  const record = async (
    s: FakeSession,
    body: { chunks: { chunkNumber: number; etag: string }[] },
  ) => {
    const numbers = body.chunks.map((c) => c.chunkNumber);
    log.recordCalls.push(numbers);
    log.events.push('record');
    log.recordsInFlight++;
    log.maxRecordsInFlight = Math.max(log.maxRecordsInFlight, log.recordsInFlight);
    await released;
    await delay(1);
    log.recordsInFlight--;
    log.events.push('recorded');
    const gone = goneAnswer(s);
    if (gone) return gone;
    const answer = { recorded: [] as unknown[], rejected: [] as unknown[] };
    for (const { chunkNumber: n, etag } of body.chunks) {
      const code = rejections.get(n)?.shift();
      const bytes = s.stored.get(n);
      if (code || etag !== `"etag-${n}"` || !bytes) {
        answer.rejected.push({ chunkNumber: n, code: code ?? 'ETAG_MISMATCH', message: 'fake' });
        continue;
      }
      s.recorded.set(n, bytes);
      s.status = 'uploading';
      log.recorded.push(n);
      answer.recorded.push({ chunkNumber: n, size: 0, etag, checksum: null, uploadedAt: '' });
    }
    return json({
      ...answer,
      uploadedBytes: uploadedBytes(s),
      chunksUploaded: s.recorded.size,
      totalChunks: s.totalChunks,
    });
  };

  const put = async (s: FakeSession, chunk: number, init: RequestInit | undefined) => {
    const key = `${s.id}/${chunk}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    log.inFlight++;
    log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
    try {
      await delay(options.putDelayMs ?? 2, init?.signal ?? undefined);
    } catch (error) {
      log.abortedPuts++;
      throw error;
    } finally {
      log.inFlight--;
    }
    const body = (init?.body as Uint8Array | undefined) ?? new Uint8Array();
    log.puts.push({
      session: s.id,
      chunk,
      headers: init?.headers as Record<string, string>,
      bytes: body.length,
      values: new Set(body),
    });
    log.events.push(`put ${chunk}`);
    const status = options.storageAnswer?.(chunk, attempt, s.id) ?? 200;
    if (status === 200) {
      storedKeys.add(key);
      s.stored.set(chunk, body.slice());
    }
    return new Response(status === 200 ? '' : '<Error><Code>Nope</Code></Error>', {
      status,
      headers: status === 200 ? { etag: `"etag-${chunk}"` } : {},
    });
  };

  const goneAnswer = (s: FakeSession) => {
    if (s.status === 'cancelled') return failure(410, 'SESSION_CANCELLED');
    if (s.status === 'expired') return failure(410, 'SESSION_EXPIRED');
    return undefined;
  };

  const complete = (s: FakeSession) => {
    log.completeCalls++;
    log.events.push('complete');
    log.atComplete.push({ recorded: s.recorded.size, recordsInFlight: log.recordsInFlight });
    const gone = goneAnswer(s);
    if (gone) return gone;
    if (s.status !== 'uploaded') {
      const drop = missingOnComplete.shift();
      // Their stored parts changed: neither recorded nor stored any more.
      if (drop)
        for (const n of drop) {
          s.recorded.delete(n);
          s.stored.delete(n);
        }
      if (missing(s).length > 0)
        return failure(409, 'CHUNKS_MISSING', { missingChunks: missing(s) });
      const parts = Array.from(
        { length: s.totalChunks },
        (_, n) => s.recorded.get(n) as Uint8Array,
      );
      const assembled = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
      let at = 0;
      for (const part of parts) {
        assembled.set(part, at);
        at += part.length;
      }
      files.set(s.id, assembled);
      s.status = 'uploaded';
    }
    return json({
      id: s.id === 's' ? 'f' : `f-${s.id}`,
      sessionId: s.id,
      name: s.fileName,
      size: s.fileSize,
      contentType: s.contentType,
      status: 'uploaded',
    });
  };

  /** Reconciles the ledger with storage: a stored part whose record never came is counted. */
  const resume = (s: FakeSession) => {
    if (s.status === 'uploaded') return failure(409, 'INVALID_STATE', { status: 'uploaded' });
    if (!goneAnswer(s))
      for (const [n, bytes] of s.stored) {
        if (s.recorded.has(n)) continue;
        s.recorded.set(n, bytes);
        s.status = 'uploading';
      }
    return (
      goneAnswer(s) ??
      json({ ...view(s), nextChunkNumber: missing(s)[0] ?? null, missingChunks: missing(s) })
    );
  };

  const cancel = (s: FakeSession) => {
    log.cancels.push(s.id);
    if (s.status === 'uploaded') return failure(409, 'INVALID_STATE', { status: 'uploaded' });
    if (s.status === 'expired') return failure(410, 'SESSION_EXPIRED');
    s.status = 'cancelled';
    return new Response(
      JSON.stringify({ success: true, message: 'Upload cancelled successfully' }),
      {
        status: 200,
        headers: { 'content-type': 'application/json' },
      },
    );
  };

  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const { pathname } = new URL(url);
    const method = init?.method ?? 'GET';
    const part = /^\/([^/]+)\/part\/(\d+)$/.exec(pathname);
    if (part) return put(sessions.get(part[1] as string) as FakeSession, Number(part[2]), init);
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const path = pathname.replace(/^\/api\/v1/, '');
    if (method === 'POST' && path === '/uploads/initiate') {
      const headers = new Headers(init?.headers);
      return initiate(body, headers.get('idempotency-key') ?? undefined);
    }
    const match = /^\/uploads\/([^/]+)(\/.*)?$/.exec(path);
    const s = match ? sessions.get(decodeURIComponent(match[1] as string)) : undefined;
    if (!s) return failure(404, 'SESSION_NOT_FOUND');
    const route = `${method} ${match?.[2] ?? ''}`;
    switch (route) {
      case 'POST /chunks':
        return goneAnswer(s) ?? sign(s, body);
      case 'PUT /chunks':
        return record(s, body);
      case 'POST /complete':
        return complete(s);
      case 'POST /resume':
        return resume(s);
      case 'DELETE ':
        return cancel(s);
      case 'DELETE /file':
        return json({ id: s.id, status: 'deleted' });
    }
    throw new Error(`unexpected ${method} ${url}`);
  };

  return {
    fetch,
    log,
    releaseRecords: () => release(),
    /** The finished files' bytes, by session id. */
    files,
    /** A session's status now. */
    status: (id: string) => sessions.get(id)?.status,
    /** The session ids initiate started, in order. */
    sessionIds: () => [...sessions.keys()].filter((id) => id !== 's' || single),
    /** Chunks the session has recorded. */
    recordedOf: (id: string) =>
      [...(sessions.get(id)?.recorded.keys() ?? [])].sort((a, b) => a - b),
    /** Ends a session as the server would at its expiry, or after a DELETE from elsewhere. */
    end: (id: string, status: 'expired' | 'cancelled') => {
      const s = sessions.get(id);
      if (s) s.status = status;
    },
  };
}

export type FakeBackend = ReturnType<typeof fakeBackend>;

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
