/**
 * An in-memory upload API and storage behind one fetch, for the client's unit tests. It follows
 * shared/API.md for the routes the upload path uses and logs what the client does.
 */

export const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(status < 300 ? { success: true, data } : data), {
    status,
    headers: { 'content-type': 'application/json' },
  });

const failure = (status: number, code: string, details?: Record<string, unknown>) =>
  json({ success: false, error: { code, message: `fake ${code}`, details } }, status);

export interface FakeBackendOptions {
  /** Storage's status for a chunk PUT (default 200). */
  readonly storageAnswer?: (chunk: number, attempt: number) => number;
  /** Per chunk, the codes its next record entries are rejected with, in order. */
  readonly rejections?: Readonly<Record<number, readonly string[]>>;
  /** How long storage takes to answer a PUT (default 2 ms). */
  readonly putDelayMs?: number;
  /** Record calls wait until `releaseRecords()` is called. */
  readonly holdRecords?: boolean;
  /** The file the fake session is for (needed by initiate and complete). */
  readonly fileSize?: number;
  readonly chunkSize?: number;
  /** Lists complete answers 409 CHUNKS_MISSING with, one per call; the chunks are dropped. */
  readonly missingOnComplete?: readonly (readonly number[])[];
}

export interface PutLog {
  readonly chunk: number;
  readonly headers: Record<string, string>;
  readonly bytes: number;
  /** The byte values storage received, read after the PUT's time in flight. */
  readonly values: Set<number>;
}

export function fakeBackend(options: FakeBackendOptions = {}) {
  const rejections = new Map(
    Object.entries(options.rejections ?? {}).map(([n, c]) => [+n, [...c]]),
  );
  const missingOnComplete = [...(options.missingOnComplete ?? [])];
  const log = {
    signCalls: [] as number[][],
    puts: [] as PutLog[],
    recordCalls: [] as number[][],
    /** Recorded chunks, in the order the fake recorded them (a chunk again after a drop). */
    recorded: [] as number[],
    completeCalls: 0,
    /** At each complete call: chunks recorded and record calls still unanswered. */
    atComplete: [] as { recorded: number; recordsInFlight: number }[],
    /** Every call, in order: `sign`, `put n`, `record`, `recorded`, `complete`, ... */
    events: [] as string[],
    inFlight: 0,
    maxInFlight: 0,
    recordsInFlight: 0,
    maxRecordsInFlight: 0,
    /** Most chunks signed at once whose PUT had not yet succeeded. */
    maxSignedAhead: 0,
  };
  const attempts = new Map<number, number>();
  const signed = new Set<number>();
  const stored = new Set<number>();
  const recorded = new Set<number>();
  let release = () => {};
  const released = options.holdRecords
    ? new Promise<void>((resolve) => (release = resolve))
    : Promise.resolve();
  const fileSize = options.fileSize ?? 0;
  const chunkSize = options.chunkSize ?? Math.max(1, fileSize);
  const totalChunks = Math.max(1, Math.ceil(fileSize / chunkSize));
  const sizeOf = (n: number) => Math.min(fileSize, (n + 1) * chunkSize) - n * chunkSize;

  const sign = (body: { chunks: { chunkNumber: number; checksumSha256?: string }[] }) => {
    log.signCalls.push(body.chunks.map((c) => c.chunkNumber));
    log.events.push('sign');
    for (const c of body.chunks) signed.add(c.chunkNumber);
    log.maxSignedAhead = Math.max(
      log.maxSignedAhead,
      [...signed].filter((n) => !stored.has(n)).length,
    );
    return json({
      chunks: body.chunks.map((c) => ({
        chunkNumber: c.chunkNumber,
        url: `http://storage.test/part/${c.chunkNumber}`,
        method: 'PUT',
        headers: c.checksumSha256 ? { 'x-amz-checksum-sha256': c.checksumSha256 } : {},
        size: 0,
        expiresAt: new Date(Date.now() + 900_000).toISOString(),
      })),
    });
  };

  const record = async (body: { chunks: { chunkNumber: number; etag: string }[] }) => {
    const numbers = body.chunks.map((c) => c.chunkNumber);
    log.recordCalls.push(numbers);
    log.events.push('record');
    log.recordsInFlight++;
    log.maxRecordsInFlight = Math.max(log.maxRecordsInFlight, log.recordsInFlight);
    await released;
    await new Promise((resolve) => setTimeout(resolve, 1));
    log.recordsInFlight--;
    log.events.push('recorded');
    const answer = { recorded: [] as unknown[], rejected: [] as unknown[] };
    for (const { chunkNumber: n, etag } of body.chunks) {
      const code = rejections.get(n)?.shift();
      if (code || etag !== `"etag-${n}"`) {
        answer.rejected.push({ chunkNumber: n, code: code ?? 'ETAG_MISMATCH', message: 'fake' });
        continue;
      }
      recorded.add(n);
      log.recorded.push(n);
      answer.recorded.push({ chunkNumber: n, size: 0, etag, checksum: null, uploadedAt: '' });
    }
    return json({
      ...answer,
      uploadedBytes: [...recorded].reduce((sum, n) => sum + sizeOf(n), 0),
      chunksUploaded: recorded.size,
      totalChunks,
    });
  };

  const put = async (chunk: number, init: RequestInit | undefined) => {
    const attempt = (attempts.get(chunk) ?? 0) + 1;
    attempts.set(chunk, attempt);
    log.inFlight++;
    log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
    await new Promise((resolve) => setTimeout(resolve, options.putDelayMs ?? 2));
    log.inFlight--;
    const body = (init?.body as Uint8Array | undefined) ?? new Uint8Array();
    log.puts.push({
      chunk,
      headers: init?.headers as Record<string, string>,
      bytes: body.length,
      values: new Set(body),
    });
    log.events.push(`put ${chunk}`);
    const status = options.storageAnswer?.(chunk, attempt) ?? 200;
    if (status === 200) stored.add(chunk);
    return new Response(status === 200 ? '' : '<Error><Code>Nope</Code></Error>', {
      status,
      headers: status === 200 ? { etag: `"etag-${chunk}"` } : {},
    });
  };

  const session = {
    id: 's',
    fileId: 'f',
    fileName: 'fake.bin',
    fileSize,
    contentType: 'application/octet-stream',
    chunkSize,
    totalChunks,
    status: 'initiated',
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-02T00:00:00.000Z',
    key: 'k',
    checksum: 'SHA256',
  };
  const missing = () =>
    Array.from({ length: totalChunks }, (_, n) => n).filter((n) => !recorded.has(n));

  const complete = () => {
    log.completeCalls++;
    log.events.push('complete');
    log.atComplete.push({ recorded: recorded.size, recordsInFlight: log.recordsInFlight });
    const drop = missingOnComplete.shift();
    if (drop) for (const n of drop) recorded.delete(n);
    if (missing().length > 0) return failure(409, 'CHUNKS_MISSING', { missingChunks: missing() });
    return json({ id: 'f', sessionId: 's', name: 'fake.bin', size: fileSize, status: 'uploaded' });
  };

  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const { pathname } = new URL(url);
    const method = init?.method ?? 'GET';
    const part = /^\/part\/(\d+)$/.exec(pathname);
    if (part) return put(Number(part[1]), init);
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const route = `${method} ${pathname.replace(/^\/api\/v1/, '')}`;
    switch (route) {
      case 'POST /uploads/initiate':
        return json(session, 201);
      case 'POST /uploads/s/chunks':
        return sign(body);
      case 'PUT /uploads/s/chunks':
        return record(body);
      case 'POST /uploads/s/complete':
        return complete();
      case 'POST /uploads/s/resume':
        return json({ ...session, status: 'uploading', missingChunks: missing() });
      case 'DELETE /uploads/s/file':
        return json({ id: 's', status: 'deleted' });
    }
    throw new Error(`unexpected ${method} ${url}`);
  };
  return { fetch, log, releaseRecords: () => release() };
}

export type FakeBackend = ReturnType<typeof fakeBackend>;
