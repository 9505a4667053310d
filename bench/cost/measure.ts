/**
 * What one upload costs, measured: for each chunk size, the SDK uploads the same file through
 * the local API (as the CLI does), then lib-storage uploads it straight to S3.
 *
 * - API calls and Lambda duration: the local server's own record of each request (the handler
 *   invocation timed alone, as Lambda bills it; local/server.ts `onRequest`).
 * - Log bytes: what each invocation printed at the deployed log level (INFO, metrics on), captured
 *   by the server instead of printed, plus estimated platform and access log lines (log-lines.ts).
 * - S3 requests: counted at the clients (meters.ts): the handlers' S3 clients, the SDK's chunk
 *   PUTs (its storage fetch) and lib-storage's client.
 * - DynamoDB units: a second, untimed SDK upload with the ledger meter on (it reads every item
 *   around each write, which would slow the timed run).
 */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { RequestRecord } from '../../local/request-log.ts';
import { apiRouteOf } from '../upload/api-routes.ts';
import { bestEffort, type RetryLog } from '../upload/attempts.ts';
import { startDelayProxy } from '../upload/delay-proxy.ts';
import { median, note, round } from '../upload/support.ts';
import {
  directS3Client,
  instrumentedS3Client,
  libStorageRun,
  sdkRun,
  type ThroughputSetup,
} from '../upload/throughput.ts';
import { ACCESS_LOG_BYTES, PLATFORM_LOG_BYTES } from './log-lines.ts';
import type { LedgerMeter, Tally } from './meters.ts';
import { meterS3, Tally as NewTally } from './meters.ts';
import type { UploadUsage } from './model.ts';

/** The server's request records since the last reset (fed by local/server.ts `onRequest`). */
export class RequestRecords {
  private records: RequestRecord[] = [];
  readonly add = (record: RequestRecord): void => {
    this.records.push(record);
  };
  reset(): void {
    this.records = [];
  }
  /** The requests a handler served: each one an API Gateway request and a Lambda invocation. */
  invocations(): RequestRecord[] {
    return this.records.filter((r) => r.handlerMs !== undefined && r.routeId !== undefined);
  }
}

export interface CostMeters {
  readonly requests: RequestRecords;
  /** The handlers' S3 clients. */
  readonly s3: Tally;
  readonly ledger: LedgerMeter;
}

export interface RouteFigures {
  readonly calls: number;
  /** Sum of each invocation's duration rounded up to the ms. */
  readonly billedMs: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  /** What the function printed, per invocation, on average. */
  readonly logBytesPerCall: number;
  readonly s3Requests: Record<string, number>;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly indexWriteUnits: number;
}

export interface ChunkSizeMeasurement {
  readonly chunkBytes: number;
  readonly fileBytes: number;
  readonly chunks: number;
  readonly sdkSeconds: number;
  readonly libStorageSeconds: number;
  /** By route id, from the timed run; units from the metered run. */
  readonly routes: Record<string, RouteFigures>;
  /** The SDK's chunk PUTs (attempts) to S3. */
  readonly chunkPuts: number;
  /** The metered run's API calls by route, to compare with the timed run's. */
  readonly meteredRunCalls: Record<string, number>;
  readonly sdk: UploadUsage;
  readonly libStorage: UploadUsage;
  /** Per request: function output measured, platform and access lines estimated. */
  readonly logBytes: {
    readonly functionPerRequest: number;
    readonly platform: number;
    readonly access: number;
  };
}

export interface CostPlan {
  readonly chunkSizes: readonly number[];
  readonly runAttempts: number;
  readonly retries: RetryLog;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

function routeFigures(
  invocations: readonly RequestRecord[],
  s3ByRoute: Record<string, Record<string, number>>,
  units: Record<string, Record<string, number>>,
): Record<string, RouteFigures> {
  const routes = [...new Set(invocations.map((r) => r.routeId as string))];
  return Object.fromEntries(
    routes.map((route) => {
      const calls = invocations.filter((r) => r.routeId === route);
      const ms = calls.map((r) => r.handlerMs as number);
      return [
        route,
        {
          calls: calls.length,
          billedMs: sum(ms.map((m) => Math.ceil(m))),
          meanMs: round(sum(ms) / ms.length, 2),
          p50Ms: round(median(ms), 2),
          logBytesPerCall: round(sum(calls.map((r) => r.logBytes ?? 0)) / calls.length, 1),
          s3Requests: s3ByRoute[route] ?? {},
          readUnits: units[route]?.read ?? 0,
          writeUnits: units[route]?.write ?? 0,
          indexWriteUnits: units[route]?.indexWrite ?? 0,
        },
      ];
    }),
  );
}

/** Uploads `setup.file` at each chunk size with the SDK (timed, then metered) and lib-storage. */
export async function measureCosts(
  setup: Omit<ThroughputSetup, 'partSize' | 'runs'>,
  meters: CostMeters,
  plan: CostPlan,
): Promise<ChunkSizeMeasurement[]> {
  const direct = directS3Client(setup);
  const lib = instrumentedS3Client(setup);
  const libRequests = meterS3([lib.client], new NewTally());
  const proxy = await startDelayProxy({
    target: setup.apiUrl,
    delayMs: 0,
    classify: apiRouteOf,
    maxRequests: 100_000,
    lifetimeMs: 60 * 60_000,
  });
  const drop = (key: string) =>
    bestEffort(`delete ${key}`, () =>
      direct.send(new DeleteObjectCommand({ Bucket: setup.bucket, Key: key })),
    );
  const results: ChunkSizeMeasurement[] = [];
  try {
    for (const chunkBytes of plan.chunkSizes) {
      const run = { ...setup, partSize: chunkBytes, runs: 1 };
      const label = `cost ${chunkBytes / 1024 ** 2} MiB`;

      note(`${label}: SDK upload, timed`);
      const timed = await plan.retries.attempt(`${label} sdk`, plan.runAttempts, async () => {
        meters.requests.reset();
        meters.s3.reset();
        const result = await sdkRun(run, proxy, 1);
        return {
          result,
          invocations: meters.requests.invocations(),
          s3ByRoute: meters.s3.byRoute(),
          s3: meters.s3.total(),
        };
      });
      await drop(timed.result.key);

      note(`${label}: SDK upload, DynamoDB units metered (not timed)`);
      const metered = await plan.retries.attempt(
        `${label} sdk metered`,
        plan.runAttempts,
        async () => {
          meters.requests.reset();
          meters.ledger.units.reset();
          meters.ledger.calls.reset();
          meters.ledger.enabled = true;
          try {
            const result = await sdkRun(run, proxy, 2);
            return {
              result,
              units: meters.ledger.units.byRoute(),
              totals: meters.ledger.units.total(),
              calls: meters.requests.invocations(),
            };
          } finally {
            meters.ledger.enabled = false;
          }
        },
      );
      await drop(metered.result.key);

      note(`${label}: lib-storage upload`);
      const bare = await plan.retries.attempt(
        `${label} lib-storage`,
        plan.runAttempts,
        async () => {
          libRequests.reset();
          const result = await libStorageRun(run, lib, 'lib-storage', 1, 0);
          // libStorageRun checks the object's size with one HeadObject: the benchmark's, not lib-storage's.
          const { HeadObject = 0, ...s3 } = libRequests.total();
          return { result, s3: HeadObject > 1 ? { ...s3, HeadObject: HeadObject - 1 } : s3 };
        },
      );
      await drop(bare.result.key);

      const invocations = timed.invocations;
      const chunks = timed.result.chunks ?? Math.ceil(setup.fileSize / chunkBytes);
      const functionLogBytes = sum(invocations.map((r) => r.logBytes ?? 0));
      const perRequestExtra = PLATFORM_LOG_BYTES + ACCESS_LOG_BYTES;
      const chunkPuts = timed.result.storagePuts ?? 0;
      const countCalls = (records: readonly RequestRecord[]) => {
        const out: Record<string, number> = {};
        for (const r of records) out[r.routeId as string] = (out[r.routeId as string] ?? 0) + 1;
        return out;
      };
      results.push({
        chunkBytes,
        fileBytes: setup.fileSize,
        chunks,
        sdkSeconds: round(timed.result.seconds, 2),
        libStorageSeconds: round(bare.result.seconds, 2),
        routes: routeFigures(invocations, timed.s3ByRoute, metered.units),
        chunkPuts,
        meteredRunCalls: countCalls(metered.calls),
        sdk: {
          fileBytes: setup.fileSize,
          chunkBytes,
          chunks,
          apiRequests: invocations.length,
          lambdaBilledMs: sum(invocations.map((r) => Math.ceil(r.handlerMs as number))),
          readUnits: metered.totals.read ?? 0,
          writeUnits: (metered.totals.write ?? 0) + (metered.totals.indexWrite ?? 0),
          s3Requests: { ...timed.s3, UploadPart: (timed.s3.UploadPart ?? 0) + chunkPuts },
          logBytes: functionLogBytes + invocations.length * perRequestExtra,
        },
        libStorage: {
          fileBytes: setup.fileSize,
          chunkBytes,
          chunks,
          apiRequests: 0,
          lambdaBilledMs: 0,
          readUnits: 0,
          writeUnits: 0,
          s3Requests: bare.s3,
          logBytes: 0,
        },
        logBytes: {
          functionPerRequest: round(functionLogBytes / Math.max(1, invocations.length), 1),
          platform: PLATFORM_LOG_BYTES,
          access: ACCESS_LOG_BYTES,
        },
      });
      note(
        `${label}: ${chunks} chunks, ${invocations.length} API calls, ${chunkPuts} chunk PUTs, SDK ${timed.result.seconds.toFixed(1)} s, lib-storage ${bare.result.seconds.toFixed(1)} s`,
      );
    }
    return results;
  } finally {
    await proxy.close();
    direct.destroy();
    lib.client.destroy();
  }
}
