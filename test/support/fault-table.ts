import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RouteId } from '../../src/http/routes.ts';
import { type ApiClient, type ApiResponse, sha256 } from './api-client.ts';
import type { Harness } from './harness.ts';
import type { SdkHooks } from './sdk-hooks.ts';
import { expectUnavailable, failCall, OUTAGES, storageCalls } from './storage-faults.ts';

/**
 * The route x storage call x outage table: for each route, the storage calls it makes (checked
 * against a clean run), then every call failing with every outage must answer 503, and a retry
 * once storage is healthy must succeed.
 */
export interface FaultTableEnv {
  readonly harness: Harness;
  readonly hooks: SdkHooks;
}

let env: () => FaultTableEnv;

export interface Ctx {
  readonly api: ApiClient;
  readonly id: string;
  readonly etag: string;
}

export interface Scenario {
  readonly route: RouteId;
  readonly label: string;
  /** The storage calls the route makes on the happy path, in order (checked by discovery). */
  readonly calls: readonly string[];
  /** The state the route runs on, made through the API with no fault installed. */
  prepare(api: ApiClient): Promise<Ctx>;
  act(ctx: Ctx): Promise<ApiResponse>;
  /** The status a retry with storage healthy again answers. */
  readonly retryStatus: number;
  /** The route changes nothing, so one prepared state serves every fault. */
  readonly readOnly?: boolean;
}

const BYTES = randomBytes(10);

const newSession = async (api: ApiClient): Promise<Ctx> => {
  const res = await api.initiate({ fileName: 'f.bin', fileSize: BYTES.length, checksum: 'NONE' });
  return { api, id: res.body.data.id, etag: '' };
};
const withPart = async (api: ApiClient): Promise<Ctx> => {
  const ctx = await newSession(api);
  return { ...ctx, etag: await api.putChunk(ctx.id, 0, BYTES, false) };
};
const withChunk = async (api: ApiClient): Promise<Ctx> => {
  const ctx = await withPart(api);
  expect((await api.record(ctx.id, 0, { etag: ctx.etag })).status).toBe(200);
  return ctx;
};
const uploaded = async (api: ApiClient): Promise<Ctx> => {
  const ctx = await withChunk(api);
  expect((await api.request('POST', `/uploads/${ctx.id}/complete`)).status).toBe(200);
  return ctx;
};

const GET = 'dynamodb:GetItemCommand';
const UPDATE = 'dynamodb:UpdateItemCommand';
const QUERY = 'dynamodb:QueryCommand';
const TRANSACT = 'dynamodb:TransactWriteItemsCommand';

export const SCENARIOS: readonly Scenario[] = [
  {
    route: 'initiate',
    label: 'with Idempotency-Key and fileSha256',
    calls: [GET, GET, GET, 's3:CreateMultipartUploadCommand', 'dynamodb:TransactWriteItemsCommand'],
    prepare: async (api) => ({ api, id: '', etag: '' }),
    act: ({ api }) =>
      api.initiate(
        { fileName: 'i.bin', fileSize: 10, fileSha256: sha256(BYTES) },
        { 'idempotency-key': 'key-1' },
      ),
    retryStatus: 201,
  },
  {
    route: 'chunkUrls',
    label: '',
    calls: [GET],
    prepare: newSession,
    act: ({ api, id }) => api.chunkUrls(id, [{ chunkNumber: 0 }]),
    retryStatus: 200,
    readOnly: true,
  },
  {
    route: 'recordChunk',
    label: 'first record',
    calls: [GET, 's3:ListPartsCommand', TRANSACT, GET],
    prepare: withPart,
    act: ({ api, id, etag }) => api.record(id, 0, { etag }),
    retryStatus: 200,
  },
  {
    route: 'recordChunk',
    label: 'repeated record',
    // The write loses to the entry already there, read again (the page): a harmless repeat.
    calls: [GET, 's3:ListPartsCommand', TRANSACT, GET, GET],
    prepare: withChunk,
    act: ({ api, id, etag }) => api.record(id, 0, { etag }),
    retryStatus: 200,
  },
  {
    route: 'recordChunks',
    label: 'a batch',
    calls: [GET, 's3:ListPartsCommand', TRANSACT, GET],
    prepare: withPart,
    act: ({ api, id, etag }) =>
      api.request('PUT', `/uploads/${id}/chunks`, { chunks: [{ chunkNumber: 0, etag }] }),
    retryStatus: 200,
  },
  {
    route: 'progress',
    label: '',
    calls: [GET],
    prepare: withChunk,
    act: ({ api, id }) => api.request('GET', `/uploads/${id}/progress`),
    retryStatus: 200,
    readOnly: true,
  },
  {
    route: 'resume',
    label: 'counting an unrecorded part',
    calls: [GET, QUERY, 's3:ListPartsCommand', TRANSACT, GET],
    prepare: withPart,
    act: ({ api, id }) => api.request('POST', `/uploads/${id}/resume`),
    retryStatus: 200,
  },
  {
    route: 'complete',
    label: '',
    calls: [
      GET,
      QUERY,
      's3:ListPartsCommand',
      UPDATE,
      's3:CompleteMultipartUploadCommand',
      's3:HeadObjectCommand',
      UPDATE,
      UPDATE,
    ],
    prepare: withChunk,
    act: ({ api, id }) => api.request('POST', `/uploads/${id}/complete`),
    retryStatus: 200,
  },
  {
    route: 'cancel',
    label: '',
    calls: [GET, UPDATE, 's3:AbortMultipartUploadCommand', 's3:DeleteObjectCommand', UPDATE],
    prepare: withChunk,
    act: ({ api, id }) => api.request('DELETE', `/uploads/${id}`),
    retryStatus: 200,
  },
  {
    route: 'getUpload',
    label: '',
    calls: [GET],
    prepare: withChunk,
    act: ({ api, id }) => api.request('GET', `/uploads/${id}`),
    retryStatus: 200,
    readOnly: true,
  },
  {
    route: 'download',
    label: '',
    calls: [GET],
    prepare: uploaded,
    act: ({ api, id }) => api.request('GET', `/uploads/${id}/download`),
    retryStatus: 200,
    readOnly: true,
  },
  {
    route: 'listUploads',
    label: '',
    calls: ['dynamodb:QueryCommand'],
    prepare: withChunk,
    act: ({ api }) => api.request('GET', '/uploads?status=all'),
    retryStatus: 200,
    readOnly: true,
  },
];

export const freshUser = () => env().harness.as(`faults-${randomUUID()}`);

export async function prepared(scenario: Scenario): Promise<Ctx> {
  const ctx = await scenario.prepare(await freshUser());
  env().hooks.clear();
  return ctx;
}

/** Registers the table's tests for `routes`; `current` gives the file's harness and hooks. */
export function describeFaultTable(current: () => FaultTableEnv, routes: readonly RouteId[]): void {
  env = current;
  describe.each(SCENARIOS.filter((s) => routes.includes(s.route)))('$route $label', (scenario) => {
    it('makes the storage calls the fault table covers', async () => {
      // Prepare
      const ctx = await prepared(scenario);

      // Act
      const res = await scenario.act(ctx);

      // Assess
      expect(res.status).toBe(scenario.retryStatus);
      expect(storageCalls(env().hooks.calls)).toEqual(scenario.calls);
    });

    const cases = scenario.calls.flatMap((call, index) =>
      OUTAGES.map((outage) => ({ call, index, outage })),
    );
    it(`answers 503 for each of ${cases.length} (call x outage) faults; a retry then succeeds`, async () => {
      const shared = scenario.readOnly ? await prepared(scenario) : undefined;
      for (const { call, index, outage } of cases) {
        // Prepare
        const ctx = shared ?? (await prepared(scenario));
        failCall(env().hooks, index, (c) => outage.error(c.service));

        // Act
        const res = await scenario.act(ctx);
        env().hooks.clear();
        const retry = await scenario.act(ctx);

        // Assess
        const where = `${call} #${index} failing with ${outage.name}`;
        expect({ where, status: res.status }).toEqual({ where, status: 503 });
        expectUnavailable(res);
        expect({ where, retry: retry.status }).toEqual({ where, retry: scenario.retryStatus });
      }
    });
  });
}
