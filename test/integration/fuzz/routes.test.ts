import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../../local/auth.ts';
import { isWebPath } from '../../../local/web.ts';
import { STATUS_BY_CODE } from '../../../src/http/error-response.ts';
import { matchRoute, ROUTES, type RouteDefinition } from '../../../src/http/routes.ts';
import type { ApiClient } from '../../support/api-client.ts';
import { type Harness, startHarness } from '../../support/harness.ts';
import {
  bodyFor,
  chunkNumberText,
  chunkUrlsBodyArb,
  completeBodyArb,
  contentTypeHeaderArb,
  encodeSegment,
  FUZZ_SEED,
  fuzzOptions,
  idArb,
  idempotencyKeyArb,
  initiateBodyArb,
  queryArb,
  recordBodyArb,
  recordChunksBodyArb,
} from './arbitraries.ts';
import {
  CONTRACT_ERRORS,
  closeAgent,
  expectContractAnswer,
  expectGatewayAnswer,
  httpCases,
  outcomeSummary,
  type RawRequest,
  type RawResponse,
  send,
} from './contract.ts';

let harness: Harness;
let alice: ApiClient;
let aliceIds: string[];
let bobId: string;
let validCursor: string;
let badTokens: (string | undefined)[];
const startedAt = Date.now();

beforeAll(async () => {
  // Enough live slots that random valid initiates do not all end in 429.
  harness = await startHarness({
    MAX_ACTIVE_UPLOADS_PER_USER: '100000',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  alice = await harness.as('alice');
  const bob = await harness.as('bob');
  const open = await alice.initiate({ fileName: 'open.bin', fileSize: 10, checksum: 'NONE' });
  const multi = await alice.initiate({ fileName: 'multi.bin', fileSize: 40 * 1024 * 1024 });
  const cancelled = await alice.initiate({ fileName: 'gone.bin', fileSize: 3, checksum: 'NONE' });
  await alice.request('DELETE', `/uploads/${cancelled.body.data.id}`);
  const done = await alice.initiate({ fileName: 'done.bin', fileSize: 5, checksum: 'NONE' });
  await alice.sendChunk(done.body.data.id, 0, new Uint8Array(5), false);
  await alice.request('POST', `/uploads/${done.body.data.id}/complete`);
  aliceIds = [open, multi, cancelled, done].map((r) => r.body.data.id as string);
  bobId = (await bob.initiate({ fileName: 'bob.bin', fileSize: 1 })).body.data.id;
  validCursor = (await alice.request('GET', '/uploads?limit=1')).body.data.nextCursor;
  const forged = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .sign(new TextEncoder().encode('not-the-secret'));
  badTokens = [
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Basic YWxpY2U6cGFzcw==',
    'Bearer a.b.c',
    `Bearer ${forged}`,
    `Bearer ${alice.token}x`,
    `Bearer ${alice.token} ${alice.token}`,
    `Token ${alice.token}`,
    `Bearer ${await issueToken('alice', -60)}`,
    `Bearer ${await issueToken('')}`,
  ];
});

afterAll(async () => {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  console.log(`[fuzz] routes: ${httpCases()} HTTP cases in ${seconds}s (FUZZ_SEED=${FUZZ_SEED})`);
  if (process.env.FUZZ_STATS) console.log(outcomeSummary());
  closeAgent();
  await harness?.close();
});

const BODIES: Partial<Record<string, fc.Arbitrary<unknown>>> = {
  initiate: initiateBodyArb,
  chunkUrls: chunkUrlsBodyArb,
  recordChunk: recordBodyArb,
  recordChunks: recordChunksBodyArb,
  complete: completeBodyArb,
};

/** Valid for alice most of the time, otherwise missing, forged, expired or plain garbage. */
const authArb = (): fc.Arbitrary<{ header: string | undefined; caller?: 'alice' | 'bob' }> =>
  fc.oneof(
    {
      arbitrary: fc.constant({ header: `Bearer ${alice.token}`, caller: 'alice' as const }),
      weight: 6,
    },
    { arbitrary: fc.constantFrom(...badTokens).map((header) => ({ header })), weight: 2 },
    {
      arbitrary: fc
        .string({
          unit: fc
            .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }))
            .map((c) => String.fromCharCode(c)),
        })
        .map((s) => ({ header: s })),
      weight: 1,
    },
  );

function requestArb(
  route: RouteDefinition,
): fc.Arbitrary<{ req: RawRequest; caller?: string; id?: string }> {
  return fc
    .record({
      auth: authArb(),
      id: idArb([...aliceIds, bobId]),
      chunkNumber: chunkNumberText,
      body: bodyFor(BODIES[route.id]),
      query: queryArb(validCursor),
      contentType: contentTypeHeaderArb,
      idempotencyKey: fc.option(idempotencyKeyArb, { nil: undefined, freq: 3 }),
    })
    .map(({ auth, id, chunkNumber, body, query, contentType, idempotencyKey }) => {
      const path = route.path
        .replace('{id}', encodeSegment(id))
        .replace('{chunkNumber}', encodeSegment(chunkNumber));
      const headers: Record<string, string> = {
        ...(auth.header === undefined ? {} : { authorization: auth.header }),
        ...(contentType === undefined ? {} : { 'content-type': contentType }),
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      };
      const req: RawRequest = {
        method: route.method,
        path: path + query,
        headers,
        ...(body === undefined ? {} : { body }),
      };
      return { req, ...(auth.caller ? { caller: auth.caller } : {}), id };
    });
}

/** The route the server will run for this request line, as API Gateway would route it. */
function routedTo(req: RawRequest): RouteDefinition | undefined {
  // Raw bytes outside printable ASCII make the request line unparsable: no route ever sees it.
  if (/[^\x21-\x7e]/.test(req.path)) return undefined;
  try {
    return matchRoute(req.method, new URL(req.path, 'http://localhost').pathname)?.route;
  } catch {
    return undefined;
  }
}

function expectAnswer(req: RawRequest, res: RawResponse) {
  // Parsed as the local server parses it (a path such as `///x` stays a path).
  const pathname = URL.parse(`http://local${req.path}`)?.pathname;
  if (req.method === 'GET' && pathname !== undefined && isWebPath(pathname)) {
    // The local server's own page and /docs (deployed, they are static files, not the gateway).
    expect([200, 204], `GET ${req.path}`).toContain(res.status);
    return undefined;
  }
  const route = routedTo(req);
  if (route) return expectContractAnswer(route.id, req, res);
  expectGatewayAnswer(req, res);
  return undefined;
}

describe(`every route answers inside the contract (FUZZ_SEED=${FUZZ_SEED})`, () => {
  it('checks against the error table of API.md, which the server implements', () => {
    expect(STATUS_BY_CODE).toEqual(CONTRACT_ERRORS);
  });

  it.each(ROUTES.map((route) => [route.id, route] as const))('%s', async (_id, route) => {
    await fc.assert(
      fc.asyncProperty(requestArb(route), async ({ req, caller, id }) => {
        const res = await send(harness.url, req);
        const answer = expectAnswer(req, res);
        if (!answer || !routedTo(req)) return;
        // Authorization is decided before anything else, and only by the token.
        if (caller === undefined)
          expect(answer.success ? 200 : answer.error.code).toBe('UNAUTHORIZED');
        else if (!answer.success) expect(answer.error.code).not.toBe('UNAUTHORIZED');
        // Nobody reaches another user's session.
        if (answer.success && route.path.includes('{id}')) expect(id).not.toBe(bobId);
      }),
      fuzzOptions(route.id === 'initiate' ? 4 : 2),
    );
  });
});

const RAW_PIECES = [
  '..',
  '.',
  '%',
  '%zz',
  '%2',
  '%2e%2e',
  '%2F',
  '%C0%AF',
  '%00',
  '%FF',
  '%E2%82',
  '\u00e9',
  '//',
  ';',
  '~',
];

describe(`requests API Gateway answers itself (FUZZ_SEED=${FUZZ_SEED})`, () => {
  it('raw paths with dot segments and broken percent-encoding never reach a 5xx', async () => {
    const segment = fc.oneof(
      fc.constantFrom(...RAW_PIECES),
      fc.constantFrom(
        'uploads',
        'api',
        'v1',
        'chunks',
        'progress',
        'complete',
        '0',
        aliceIds[0] as string,
      ),
      fc
        .string({
          unit: fc.integer({ min: 0x21, max: 0xff }).map((c) => String.fromCharCode(c)),
          maxLength: 8,
        })
        .filter((s) => !s.includes('?') && !s.includes('#')),
    );
    const arb = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
      prefix: fc.constantFrom('/api/v1/uploads', '/api/v1', '', `/api/v1/uploads/${aliceIds[0]}`),
      segments: fc.array(
        fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('')),
        {
          maxLength: 4,
        },
      ),
      authorized: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ method, prefix, segments, authorized }) => {
        const req: RawRequest = {
          method,
          path: [prefix, ...segments].join('/') || '/',
          headers: authorized ? { authorization: `Bearer ${alice.token}` } : {},
          ...(method === 'GET' ? {} : { body: '{}' }),
        };
        expectAnswer(req, await send(harness.url, req));
      }),
      fuzzOptions(3),
    );
  });
});
