/** The cost model's tables: what one upload used per chunk, and what a volume costs. */
import { markdownTable, round } from '../upload/support.ts';
import type { ChunkSizeMeasurement } from './measure.ts';
import { s3PriceClass, type VolumeCost, volumeCost } from './model.ts';
import type { PriceTable } from './prices.ts';

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

export interface CostReportInput {
  readonly measurements: readonly ChunkSizeMeasurement[];
  readonly prices: PriceTable;
  readonly totalBytes: number;
  readonly memoryMB: number;
}

export interface CostRow {
  readonly chunkMiB: number;
  readonly sdk: VolumeCost;
  readonly libStorage: VolumeCost;
}

export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface CostReport {
  readonly rows: readonly CostRow[];
  readonly detail: string;
  /** Measured per chunk, then the volume's cost, then the volume's quantities. */
  readonly tables: readonly [Table, Table, Table];
  readonly lines: readonly string[];
}

/** Route ids in the order an upload uses them. */
const ROUTE_ORDER = ['initiate', 'chunkUrls', 'recordChunks', 'recordChunk', 'resume', 'complete'];

const usd = (value: number) =>
  value === 0 ? '0' : value < 0.01 ? value.toFixed(4) : value.toFixed(2);
const fixed = (value: number, digits = 3) => value.toFixed(digits);
const size = (bytes: number) =>
  bytes >= 1024 ** 4
    ? `${round(bytes / 1024 ** 4, 2)} TiB`
    : bytes >= GIB
      ? `${round(bytes / GIB, 2)} GiB`
      : `${round(bytes / MIB, 2)} MiB`;

export function costReport(input: CostReportInput): CostReport {
  const { measurements: ms, prices, totalBytes, memoryMB } = input;
  const rows: CostRow[] = ms.map((m) => ({
    chunkMiB: m.chunkBytes / MIB,
    sdk: volumeCost(m.sdk, totalBytes, memoryMB, prices),
    libStorage: volumeCost(m.libStorage, totalBytes, memoryMB, prices),
  }));
  const columns = ms.map((m) => `${m.chunkBytes / MIB} MiB`);
  const routes = [
    ...ROUTE_ORDER.filter((r) => ms.some((m) => m.routes[r])),
    ...[...new Set(ms.flatMap((m) => Object.keys(m.routes)))].filter(
      (r) => !ROUTE_ORDER.includes(r),
    ),
  ];
  const operations = [
    ...new Set(
      ms.flatMap((m) => [
        ...Object.keys(m.sdk.s3Requests),
        ...Object.keys(m.libStorage.s3Requests),
      ]),
    ),
  ].sort((a, b) => (a === 'UploadPart' ? -1 : b === 'UploadPart' ? 1 : a.localeCompare(b)));
  const perChunk = (m: ChunkSizeMeasurement, n: number) => fixed(n / m.chunks);
  const measured: Table = {
    header: ['per chunk (SDK through the API, unless named)', ...columns],
    rows: [
      ['chunks in one upload', ...ms.map((m) => String(m.chunks))],
      ...routes.map((route) => [
        `API calls: ${route}`,
        ...ms.map((m) => perChunk(m, m.routes[route]?.calls ?? 0)),
      ]),
      ['API calls: all (= Lambda invocations)', ...ms.map((m) => perChunk(m, m.sdk.apiRequests))],
      [
        'Lambda billed ms (sum of invocations)',
        ...ms.map((m) => perChunk(m, m.sdk.lambdaBilledMs)),
      ],
      ['DynamoDB read units', ...ms.map((m) => perChunk(m, m.sdk.readUnits))],
      [
        'DynamoDB write units (table + user index)',
        ...ms.map((m) => perChunk(m, m.sdk.writeUnits)),
      ],
      ...operations.map((op) => [
        `S3 ${op} (${s3PriceClass(op)})`,
        ...ms.map((m) => perChunk(m, m.sdk.s3Requests[op] ?? 0)),
      ]),
      ...operations
        .filter((op) => ms.some((m) => (m.libStorage.s3Requests[op] ?? 0) > 0))
        .map((op) => [
          `lib-storage S3 ${op}`,
          ...ms.map((m) => perChunk(m, m.libStorage.s3Requests[op] ?? 0)),
        ]),
      [
        'log bytes (function + platform + access lines)',
        ...ms.map((m) => perChunk(m, m.sdk.logBytes)),
      ],
      ...routes.map((route) => [
        `function ms per call, mean / p50: ${route}`,
        ...ms.map((m) => {
          const r = m.routes[route];
          return r ? `${r.meanMs.toFixed(1)} / ${r.p50Ms.toFixed(1)}` : '-';
        }),
      ]),
      ...routes.map((route) => [
        `function log bytes per call: ${route}`,
        ...ms.map((m) => (m.routes[route] ? m.routes[route].logBytesPerCall.toFixed(0) : '-')),
      ]),
      [
        'upload seconds: SDK / lib-storage',
        ...ms.map((m) => `${m.sdkSeconds} / ${m.libStorageSeconds}`),
      ],
    ],
  };
  const volume = size(totalBytes);
  const files = ms[0]
    ? `${round(totalBytes / ms[0].fileBytes, 2)} files of ${size(ms[0].fileBytes)}`
    : '';
  const costColumns = [
    ...rows.map((r) => `SDK ${r.chunkMiB} MiB`),
    ...rows.map((r) => `lib-storage ${r.chunkMiB} MiB`),
  ];
  const line = (label: string, pick: (c: VolumeCost) => number, format = usd) => [
    label,
    ...rows.map((r) => format(pick(r.sdk))),
    ...rows.map((r) => format(pick(r.libStorage))),
  ];
  const cost: Table = {
    header: [`USD for ${volume} (${files})`, ...costColumns],
    rows: [
      line('API Gateway HTTP API requests', (c) => c.usd.apiGateway),
      line('Lambda requests', (c) => c.usd.lambdaRequests),
      line(`Lambda duration (arm64, ${memoryMB} MB)`, (c) => c.usd.lambdaDuration),
      line('DynamoDB on-demand (read + write units)', (c) => c.usd.dynamodb),
      line('S3 requests', (c) => c.usd.s3Requests),
      line('CloudWatch Logs ingestion', (c) => c.usd.logs),
      line('total (storage not included)', (c) => c.usd.total),
    ],
  };
  const count = (n: number) => String(Math.round(n));
  const quantities: Table = {
    header: [`quantities for ${volume}`, ...costColumns],
    rows: [
      line('chunks', (c) => c.chunks, count),
      line('API requests = Lambda invocations', (c) => c.apiRequests, count),
      line(
        'Lambda GB-seconds',
        (c) => c.lambdaGbSeconds,
        (n) => fixed(n, 1),
      ),
      line('DynamoDB read units', (c) => c.readUnits, count),
      line('DynamoDB write units', (c) => c.writeUnits, count),
      line('S3 PUT/COPY/POST/LIST requests', (c) => c.s3Requests.putCopyPostList, count),
      line('S3 GET and other requests', (c) => c.s3Requests.getAndOther, count),
      line('S3 DELETE/abort requests (free)', (c) => c.s3Requests.deleteCancel, count),
      line(
        'CloudWatch Logs GB',
        (c) => c.logGb,
        (n) => fixed(n, 3),
      ),
    ],
  };
  const first = ms[0];
  const detail =
    `Measured: one upload of a ${first ? size(first.fileBytes) : '?'} random file per chunk size (${columns.join(', ')}), by the SDK through the local API at +0 ms (as the CLI uploads, concurrency as in section 1) and by lib-storage straight to S3. ` +
    'API calls and function durations come from the local server, which times each handler invocation alone (a stand-in for Lambda duration: handlers run in this process against LocalStack and moto on loopback, not in Lambda against AWS); ' +
    'log bytes are what the functions printed at the deployed level (INFO, metrics on), captured by the server, plus estimated Lambda platform lines (START/END/REPORT) and the API access log line; ' +
    "S3 requests are counted at the clients: the handlers' S3 clients (each attempt; presigning sends nothing), the SDK's chunk PUTs and lib-storage's client (its HeadObject check by the benchmark excluded); " +
    "DynamoDB units are charged by DynamoDB's item-size rules (bench/dynamodb-units.ts, as npm run bench:ledger does) in a second, untimed SDK upload that reads each item around each write. " +
    `Cost: each measured upload times ${files ? files.split(' ')[0] : '?'} (${volume} = ${files}), at ${prices.region} list prices of ${prices.asOf} (bench/cost/prices.json${prices.verified ? '' : ', NOT VERIFIED: check them at their sources'}); Lambda at the deployed ${memoryMB} MB (infra/upload-api-props.ts).`;
  const lines = [
    `Prices (${prices.region}, ${prices.asOf}${prices.verified ? '' : ', unverified'}): ` +
      Object.values(prices.prices)
        .map(
          (p) =>
            `${p.usd} USD per ${p.per === 1 ? '' : `${p.per.toLocaleString('en-US')} `}${p.unit}`,
        )
        .join('; ') +
      '.',
    `Not included: ${prices.notIncluded.join('; ')}.`,
    ...ms.map((m) => {
      const routesDiffer = Object.entries(m.meteredRunCalls).some(
        ([route, n]) => (m.routes[route]?.calls ?? 0) !== n,
      );
      return routesDiffer
        ? `${m.chunkBytes / MIB} MiB: the metered run made ${JSON.stringify(m.meteredRunCalls)} API calls (the timed run: ${JSON.stringify(Object.fromEntries(Object.entries(m.routes).map(([r, f]) => [r, f.calls])))}): record batching depends on timing.`
        : `${m.chunkBytes / MIB} MiB: the metered run made the same API calls as the timed run.`;
    }),
  ];
  return { rows, detail, tables: [measured, cost, quantities], lines };
}

export function costMarkdown(report: CostReport, measuredAt: string, intro: string): string {
  return [
    '# Cost model',
    '',
    `Measured ${measuredAt} with \`npm run bench\`. ${intro}`,
    '',
    report.detail,
    '',
    '## What one upload used, per chunk',
    '',
    markdownTable(report.tables[0].header, report.tables[0].rows),
    '',
    '## Cost',
    '',
    markdownTable(report.tables[1].header, report.tables[1].rows),
    '',
    markdownTable(report.tables[2].header, report.tables[2].rows),
    '',
    ...report.lines.map((l) => `${l}  `),
    '',
  ].join('\n');
}
