import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../../local/auth.ts';
import { InitiateRequest } from '../../../src/http/schemas.ts';
import { sha256 } from '../../support/api-client.ts';
import { type Harness, startHarness } from '../../support/harness.ts';
import {
  anyText,
  chunkNumberText,
  encodeSegment,
  FUZZ_SEED,
  fileNameArb,
  fuzzOptions,
  initiateBodyArb,
  sha256Like,
} from './arbitraries.ts';
import {
  closeAgent,
  type Envelope,
  expectContractAnswer,
  httpCases,
  outcomeSummary,
  send,
} from './contract.ts';

const MIB = 1024 * 1024;
const LIVE_LIMIT = 6;

let harness: Harness;
const startedAt = Date.now();

beforeAll(async () => {
  harness = await startHarness({
    MAX_ACTIVE_UPLOADS_PER_USER: String(LIVE_LIMIT),
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
});

afterAll(async () => {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  console.log(`[fuzz] sessions: ${httpCases()} HTTP cases in ${seconds}s (FUZZ_SEED=${FUZZ_SEED})`);
  if (process.env.FUZZ_STATS) console.log(outcomeSummary());
  closeAgent();
  await harness?.close();
});

type State = 'open' | 'cancelled' | 'uploaded';

interface ModelSession {
  readonly id: string;
  readonly fileSize: number;
  readonly chunkSize: number;
  readonly totalChunks: number;
  readonly checksummed: boolean;
  /** The bytes of the chunks small enough to upload in a test (a tiny file, or a tail chunk). */
  readonly uploadable: ReadonlyMap<number, Uint8Array>;
  /** Parts storage holds, with the ETag it answered. */
  readonly stored: Map<number, string>;
  /** Parts the ledger has counted (recorded, or found by resume). */
  readonly recorded: Set<number>;
  state: State;
  file?: unknown;
  content?: Uint8Array;
}

interface Model {
  readonly sessions: ModelSession[];
  /** The last initiate that created a session under an Idempotency-Key. */
  lastKeyed?: { body: Record<string, unknown>; key: string; id: string };
  readonly idempotency: Map<string, { fingerprint: string; id: string }>;
}

interface Real {
  readonly user: string;
  readonly token: string;
  readonly strangerToken: string;
}

interface Answer {
  readonly status: number;
  readonly body: Envelope;
}

async function call(
  real: Real,
  routeId: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  token = real.token,
): Promise<Answer> {
  const req = {
    method,
    path: `/api/v1${path}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
  const res = await send(harness.url, req);
  return { status: res.status, body: expectContractAnswer(routeId, req, res) };
}

const codeOf = (answer: Answer): string | number =>
  answer.body.success ? answer.status : answer.body.error.code;

const expectedSize = (s: ModelSession, n: number): number =>
  n < s.totalChunks - 1 ? s.chunkSize : s.fileSize - (s.totalChunks - 1) * s.chunkSize;

const missingOf = (s: ModelSession, have: { has(n: number): boolean }): number[] =>
  Array.from({ length: s.totalChunks }, (_, n) => n).filter((n) => !have.has(n));

const openCount = (m: Model) => m.sessions.filter((s) => s.state === 'open').length;

/** Small indexes (the ones fast-check favours) name the newest sessions. */
const pick = (m: Model, index: number) =>
  m.sessions[m.sessions.length - 1 - (index % m.sessions.length)] as ModelSession;

/** What each status answer must agree with, whatever operations came before. */
function expectStatus(s: ModelSession, status: string, chunksUploaded: number) {
  if (s.state === 'cancelled') expect(status).toBe('cancelled');
  else if (s.state === 'uploaded') expect(status).toBe('uploaded');
  else expect(status).toBe(chunksUploaded > 0 ? 'uploading' : 'initiated');
  if (s.state !== 'uploaded') {
    expect(chunksUploaded).toBeGreaterThanOrEqual(s.recorded.size);
    expect(chunksUploaded).toBeLessThanOrEqual(Math.max(s.stored.size, s.recorded.size));
  }
  expect(chunksUploaded).toBeLessThanOrEqual(s.totalChunks);
}

// ---------------------------------------------------------------- commands

type Cmd = fc.AsyncCommand<Model, Real>;

/** A tiny file (uploadable), a file whose last chunk is tiny, or any body the fuzzer makes up. */
const initiateInput = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('tiny' as const),
      fileName: fileNameArb,
      content: fc.uint8Array({ maxLength: 3000 }),
      checksum: fc.constantFrom('SHA256', 'NONE'),
      withSha: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('tail' as const),
      fileName: fileNameArb,
      chunks: fc.integer({ min: 1, max: 3 }),
      content: fc.uint8Array({ minLength: 1, maxLength: 2000 }),
      checksum: fc.constantFrom('SHA256', 'NONE'),
      withSha: fc.constant(false),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('random' as const), body: initiateBodyArb }),
  },
);

type InitiateInput = typeof initiateInput extends fc.Arbitrary<infer T> ? T : never;

class Initiate implements Cmd {
  constructor(
    readonly input: InitiateInput,
    readonly key: string | undefined,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const body = this.body();
    const headers: Record<string, string> = this.key ? { 'idempotency-key': this.key } : {};
    const answer = await call(r, 'initiate', 'POST', '/uploads/initiate', body, headers);
    const valid = InitiateRequest.safeParse(body);
    if (!valid.success) {
      expect(codeOf(answer)).toBe('VALIDATION_ERROR');
      return;
    }
    const fingerprint = JSON.stringify(body);
    const earlier = this.key ? m.idempotency.get(this.key) : undefined;
    if (!answer.body.success) {
      const code = answer.body.error.code;
      if (code === 'TOO_MANY_ACTIVE_UPLOADS')
        expect(openCount(m)).toBeGreaterThanOrEqual(LIVE_LIMIT);
      else if (code === 'IDEMPOTENCY_KEY_REUSED')
        expect(earlier?.fingerprint).not.toBe(fingerprint);
      else expect(['VALIDATION_ERROR', 'FILE_TOO_LARGE']).toContain(code);
      return;
    }
    const data = answer.body.data;
    const known = m.sessions.find((s) => s.id === data.id);
    if (earlier && earlier.fingerprint === fingerprint) expect(data.id).toBe(earlier.id);
    if (known) {
      // A replay (same Idempotency-Key, or same name, size and SHA-256): the session as it is now.
      expect(answer.status).toBe(200);
      expectStatus(known, data.status, data.chunksUploaded);
      return;
    }
    expect(answer.status).toBe(201);
    expect(openCount(m)).toBeLessThan(LIVE_LIMIT);
    expect(data.status).toBe('initiated');
    expect(data.totalChunks).toBe(Math.max(1, Math.ceil(data.fileSize / data.chunkSize)));
    expect(data.key.startsWith(`uploads/${r.user}/${data.fileId}/`)).toBe(true);
    expect(data.key.split('/')).toHaveLength(4);
    if (this.key) {
      m.idempotency.set(this.key, { fingerprint, id: data.id });
      m.lastKeyed = { body, key: this.key, id: data.id };
    }
    const uploadable = new Map<number, Uint8Array>();
    if (this.input.kind !== 'random') uploadable.set(data.totalChunks - 1, this.input.content);
    m.sessions.push({
      id: data.id,
      fileSize: data.fileSize,
      chunkSize: data.chunkSize,
      totalChunks: data.totalChunks,
      checksummed: data.checksum === 'SHA256',
      uploadable,
      stored: new Map(),
      recorded: new Set(),
      state: 'open',
      ...(this.input.kind === 'tiny' ? { content: this.input.content } : {}),
    });
  }
  body(): Record<string, unknown> {
    const input = this.input;
    if (input.kind === 'random') return input.body;
    const fileSize =
      input.kind === 'tiny' ? input.content.length : input.chunks * 5 * MIB + input.content.length;
    return {
      fileName: input.fileName,
      fileSize,
      checksum: input.checksum,
      ...(input.kind === 'tail' ? { chunkSize: 5 * MIB } : {}),
      ...(input.withSha ? { fileSha256: sha256(input.content) } : {}),
    };
  }
  toString = () => `Initiate(${JSON.stringify(this.body()).slice(0, 120)}, key=${this.key})`;
}

/** The same initiate again with its Idempotency-Key: the same session, whatever became of it. */
class Replay implements Cmd {
  check = (m: Model) => m.lastKeyed !== undefined;
  async run(m: Model, r: Real) {
    const { body, key, id } = m.lastKeyed as NonNullable<Model['lastKeyed']>;
    const answer = await call(r, 'initiate', 'POST', '/uploads/initiate', body, {
      'idempotency-key': key,
    });
    expect(answer.status).toBe(200);
    const data = answer.body.success && answer.body.data;
    expect(data.id).toBe(id);
    const s = m.sessions.find((x) => x.id === id) as ModelSession;
    expectStatus(s, data.status, data.chunksUploaded);
  }
  toString = () => 'Replay';
}

/** Signs, PUTs the bytes to storage, and (or not) records the chunk. */
class Upload implements Cmd {
  constructor(
    readonly index: number,
    readonly record: boolean,
    readonly sendChecksum: boolean,
  ) {}
  check = (m: Model) => m.sessions.some((s) => s.uploadable.size > 0);
  async run(m: Model, r: Real) {
    const candidates = m.sessions.filter((s) => s.uploadable.size > 0);
    const s = candidates[this.index % candidates.length] as ModelSession;
    const [n, bytes] = [...s.uploadable][0] as [number, Uint8Array];
    const checksum = this.sendChecksum || s.checksummed ? { checksumSha256: sha256(bytes) } : {};
    const signed = await call(r, 'chunkUrls', 'POST', `/uploads/${s.id}/chunks`, {
      chunks: [{ chunkNumber: n, ...checksum }],
    });
    if (s.state !== 'open') {
      expect(codeOf(signed)).toBe(s.state === 'cancelled' ? 'SESSION_CANCELLED' : 'INVALID_STATE');
      return;
    }
    expect(signed.status).toBe(200);
    const chunk = signed.body.success && signed.body.data.chunks[0];
    expect(chunk.size).toBe(expectedSize(s, n));
    const put = await fetch(chunk.url, {
      method: 'PUT',
      headers: chunk.headers,
      body: bytes as Uint8Array<ArrayBuffer>,
    });
    expect(put.status).toBe(200);
    const etag = put.headers.get('etag') as string;
    s.stored.set(n, etag);
    if (!this.record) return;
    const recorded = await call(r, 'recordChunk', 'PUT', `/uploads/${s.id}/chunks/${n}`, {
      etag,
      ...checksum,
    });
    expect(recorded.status).toBe(200);
    s.recorded.add(n);
    const data = recorded.body.success && recorded.body.data;
    expect(data.size).toBe(bytes.length);
    expectStatus(s, 'uploading', data.chunksUploaded);
  }
  toString = () => `Upload(${this.index}, record=${this.record})`;
}

/** Records with made-up ETags, checksums and chunk numbers: never a success, never a change. */
class RecordGarbage implements Cmd {
  constructor(
    readonly index: number,
    readonly chunkNumber: string,
    readonly body: unknown,
  ) {}
  check = (m: Model) => m.sessions.length > 0;
  async run(m: Model, r: Real) {
    const s = pick(m, this.index);
    const path = `/uploads/${s.id}/chunks/${encodeSegment(this.chunkNumber)}`;
    const answer = await call(r, 'recordChunk', 'PUT', path, this.body);
    const n = Number(this.chunkNumber);
    if (answer.body.success) {
      // Only a repeat of a chunk storage really holds, with its real ETag, can succeed.
      expect(s.stored.get(n)).toBeDefined();
      expect((this.body as { etag?: string }).etag).toBe(s.stored.get(n));
    }
  }
  toString = () =>
    `RecordGarbage(${this.index}, ${JSON.stringify(this.chunkNumber)}, ${JSON.stringify(this.body)})`;
}

class Sign implements Cmd {
  constructor(
    readonly index: number,
    readonly chunks: { chunkNumber: number; checksumSha256?: string }[],
  ) {}
  check = (m: Model) => m.sessions.length > 0;
  async run(m: Model, r: Real) {
    const s = pick(m, this.index);
    const answer = await call(r, 'chunkUrls', 'POST', `/uploads/${s.id}/chunks`, {
      chunks: this.chunks,
    });
    if (!answer.body.success) return;
    expect(s.state).toBe('open');
    for (const [i, chunk] of answer.body.data.chunks.entries()) {
      expect(chunk.chunkNumber).toBe(this.chunks[i]?.chunkNumber);
      expect(chunk.size).toBe(expectedSize(s, chunk.chunkNumber));
    }
  }
  toString = () => `Sign(${this.index}, ${JSON.stringify(this.chunks)})`;
}

class Progress implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Model) => m.sessions.length > 0;
  async run(m: Model, r: Real) {
    const s = pick(m, this.index);
    const answer = await call(r, 'progress', 'GET', `/uploads/${s.id}/progress`);
    expect(answer.status).toBe(200);
    const data = answer.body.success && answer.body.data;
    expectStatus(s, data.status, data.chunksUploaded);
    expect(data.uploadedBytes).toBeLessThanOrEqual(s.fileSize);
    expect(data.percentComplete).toBeGreaterThanOrEqual(0);
    expect(data.percentComplete).toBeLessThanOrEqual(100);
  }
  toString = () => `Progress(${this.index})`;
}

class Get implements Cmd {
  constructor(
    readonly index: number,
    readonly asStranger: boolean,
  ) {}
  check = (m: Model) => m.sessions.length > 0;
  async run(m: Model, r: Real) {
    const s = pick(m, this.index);
    const token = this.asStranger ? r.strangerToken : r.token;
    const answer = await call(r, 'getUpload', 'GET', `/uploads/${s.id}`, undefined, {}, token);
    if (this.asStranger) {
      expect(codeOf(answer)).toBe('SESSION_NOT_FOUND');
      return;
    }
    const data = answer.body.success && answer.body.data;
    expectStatus(s, data.status, data.chunksUploaded);
  }
  toString = () => `Get(${this.index}, stranger=${this.asStranger})`;
}

class Resume implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Model) => m.sessions.length > 0;
  async run(m: Model, r: Real) {
    const s = pick(m, this.index);
    const answer = await call(r, 'resume', 'POST', `/uploads/${s.id}/resume`);
    if (s.state === 'cancelled') {
      expect(codeOf(answer)).toBe('SESSION_CANCELLED');
      return;
    }
    if (!answer.body.success) {
      expect(s.state).toBe('uploaded');
      expect(codeOf(answer)).toBe('INVALID_STATE');
      return;
    }
    const data = answer.body.data;
    if (s.state === 'uploaded') {
      expect(data.status).toBe('uploaded');
      return;
    }
    // Resume counts what storage holds, recorded or not.
    const missing = missingOf(s, s.stored);
    expect(data.missingChunks).toEqual(missing);
    expect(data.nextChunkNumber).toBe(missing[0] ?? null);
    for (const n of s.stored.keys()) s.recorded.add(n);
    expectStatus(s, data.status, s.totalChunks - missing.length);
  }
  toString = () => `Resume(${this.index})`;
}

class Complete implements Cmd {
  constructor(
    readonly index: number,
    readonly sha: 'none' | 'right' | 'garbage',
    readonly garbage: string,
  ) {}
  check = (m: Model) => m.sessions.length > 0;
  async run(m: Model, r: Real) {
    const s = pick(m, this.index);
    const body =
      this.sha === 'right' && s.content
        ? { fileSha256: sha256(s.content) }
        : this.sha === 'garbage'
          ? { fileSha256: this.garbage }
          : {};
    const answer = await call(r, 'complete', 'POST', `/uploads/${s.id}/complete`, body);
    if (!answer.body.success) {
      const code = answer.body.error.code;
      if (code === 'VALIDATION_ERROR') expect(this.sha).toBe('garbage');
      else if (s.state === 'cancelled') expect(code).toBe('SESSION_CANCELLED');
      else {
        // Complete assembles recorded chunks only: a part stored but never recorded is missing.
        expect(code).toBe('CHUNKS_MISSING');
        expect(s.state).toBe('open');
        expect(answer.body.error.details?.missingChunks).toEqual(missingOf(s, s.recorded));
      }
      return;
    }
    expect(s.state).not.toBe('cancelled');
    expect(missingOf(s, s.recorded)).toEqual([]);
    // Completing again answers with the very same file record.
    if (s.state === 'uploaded') expect(answer.body.data).toEqual(s.file);
    s.state = 'uploaded';
    s.file = answer.body.data;
    expect(answer.body.data.size).toBe(s.fileSize);
  }
  toString = () => `Complete(${this.index}, ${this.sha})`;
}

class Cancel implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Model) => m.sessions.length > 0;
  async run(m: Model, r: Real) {
    const s = pick(m, this.index);
    const answer = await call(r, 'cancel', 'DELETE', `/uploads/${s.id}`);
    if (s.state === 'uploaded') {
      expect(codeOf(answer)).toBe('INVALID_STATE');
      return;
    }
    expect(answer.status).toBe(200);
    s.state = 'cancelled';
  }
  toString = () => `Cancel(${this.index})`;
}

class Download implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Model) => m.sessions.length > 0;
  async run(m: Model, r: Real) {
    const s = pick(m, this.index);
    const answer = await call(r, 'download', 'GET', `/uploads/${s.id}/download`);
    if (s.state !== 'uploaded') {
      expect(codeOf(answer)).toBe(s.state === 'cancelled' ? 'SESSION_CANCELLED' : 'INVALID_STATE');
      return;
    }
    expect(answer.status).toBe(200);
    if (!s.content || !answer.body.success) return;
    const bytes = new Uint8Array(await (await fetch(answer.body.data.url)).arrayBuffer());
    expect(sha256(bytes)).toBe(sha256(s.content));
  }
  toString = () => `Download(${this.index})`;
}

class List implements Cmd {
  constructor(
    readonly status: string,
    readonly limit: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const answer = await call(
      r,
      'listUploads',
      'GET',
      `/uploads?status=${this.status}&limit=${this.limit}`,
    );
    expect(answer.status).toBe(200);
    const data = answer.body.success && answer.body.data;
    expect(data.items.length).toBeLessThanOrEqual(this.limit);
    for (const item of data.items) {
      const s = m.sessions.find((x) => x.id === item.id);
      expect(s).toBeDefined();
      expectStatus(s as ModelSession, item.status, item.chunksUploaded);
      if (this.status === 'uploaded') expect(item.status).toBe('uploaded');
      if (this.status === 'active') expect(['initiated', 'uploading']).toContain(item.status);
    }
    if (this.status === 'all' && data.nextCursor === null)
      expect(data.items.length).toBe(m.sessions.length);
  }
  toString = () => `List(${this.status}, ${this.limit})`;
}

const index = fc.nat(50);
const initiateCommand = fc
  .tuple(initiateInput, fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined }))
  .map(([input, key]) => new Initiate(input, key));
const uploadCommand = fc
  .tuple(index, fc.boolean(), fc.boolean())
  .map(([i, rec, sum]) => new Upload(i, rec, sum));
const completeCommand = fc
  .tuple(index, fc.constantFrom('none', 'right'))
  .map(([i, sha]) => new Complete(i, sha as 'none' | 'right', ''));
const commands = fc.commands(
  [
    initiateCommand,
    initiateCommand,
    initiateCommand,
    uploadCommand,
    uploadCommand,
    uploadCommand,
    fc.constant(new Replay()),
    fc
      .tuple(
        index,
        // ``, `.` and `..` leave no path segment once the URL is parsed: no route matches.
        chunkNumberText.filter((n) => !['', '.', '..'].includes(n)),
        fc.record(
          {
            etag: fc.oneof(fc.stringMatching(/^"[0-9a-f]{32}"$/), anyText(20)),
            checksumSha256: sha256Like,
          },
          { requiredKeys: [] },
        ),
      )
      .map(([i, n, body]) => new RecordGarbage(i, n, body)),
    fc
      .tuple(
        index,
        fc.array(
          fc.record(
            { chunkNumber: fc.integer({ min: -1, max: 5 }), checksumSha256: sha256Like },
            { requiredKeys: ['chunkNumber'] },
          ),
          { minLength: 0, maxLength: 4 },
        ),
      )
      .map(([i, chunks]) => new Sign(i, chunks)),
    index.map((i) => new Progress(i)),
    fc.tuple(index, fc.boolean()).map(([i, stranger]) => new Get(i, stranger)),
    index.map((i) => new Resume(i)),
    fc
      .tuple(index, fc.constantFrom('none', 'right', 'garbage'), anyText(44))
      .map(([i, sha, g]) => new Complete(i, sha as 'none' | 'right' | 'garbage', g)),
    completeCommand,
    completeCommand,
    index.map((i) => new Cancel(i)),
    index.map((i) => new Download(i)),
    index.map((i) => new Download(i)),
    fc
      .tuple(fc.constantFrom('all', 'active', 'uploaded'), fc.integer({ min: 1, max: 30 }))
      .map(([status, limit]) => new List(status, limit)),
  ],
  { maxCommands: 40, size: '+1' },
);

describe(`random operation sequences keep sessions consistent (FUZZ_SEED=${FUZZ_SEED})`, () => {
  it('never a 5xx; cancelled stays cancelled; counts never exceed totalChunks', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        // A fresh user per sequence: its live-slot count and its list start empty.
        const user = `fuzz-${randomUUID()}`;
        const real = {
          user,
          token: await issueToken(user),
          strangerToken: await issueToken(`${user}-stranger`),
        };
        await fc.asyncModelRun(
          () => ({ model: { sessions: [], idempotency: new Map() }, real }),
          cmds,
        );
      }),
      fuzzOptions(0.5),
    );
  });
});
