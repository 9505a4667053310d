/**
 * Throughput of the SDK (through the local API: sign, PUT to storage, record, complete) against
 * `@aws-sdk/lib-storage`'s `Upload` (direct multipart with credentials, no control plane) on the
 * same file, part size and concurrency, runs alternating; once per added API latency. The SDK's
 * API calls go through a delay proxy that holds each one for the added latency and counts them by
 * route; its chunk PUTs, and every call of lib-storage, go to storage directly. Optionally
 * lib-storage runs a second time per latency with the same latency added to its two multipart
 * control calls (CreateMultipartUpload, CompleteMultipartUpload).
 */
import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { FetchLike } from '../../client/sdk/api.ts';
import { nodeHttpFetch, uploadFile } from '../../client/sdk/node.ts';
import { apiRouteOf } from './api-routes.ts';
import { bestEffort, type RetryLog } from './attempts.ts';
import { type DelayProxy, startDelayProxy } from './delay-proxy.ts';
import { mibPerSecond, note } from './support.ts';

export interface ThroughputSetup {
  /** The local API (the proxies forward to it). */
  readonly apiUrl: string;
  readonly token: string;
  readonly awsEndpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly file: string;
  readonly fileSize: number;
  readonly partSize: number;
  readonly concurrency: number;
  /** Measured runs of each client at each latency, alternating SDK, lib-storage, ... */
  readonly runs: number;
}

export interface ThroughputPlan {
  /** Added latency of every API call, in ms: one set of runs each, in this order. */
  readonly latenciesMs: readonly number[];
  /** Also run lib-storage with the latency added to its multipart control calls (latency > 0). */
  readonly libStorageDelayed: boolean;
  /** Attempts of one run while it fails transiently (see attempts.ts). */
  readonly runAttempts: number;
  readonly retries: RetryLog;
}

/**
 * sdk: uploadFile through the delay proxy. lib-storage: Upload direct to S3, no added latency.
 * lib-storage-delayed: the same, with the added latency on CreateMultipartUpload and
 * CompleteMultipartUpload.
 */
export type Tool = 'sdk' | 'lib-storage' | 'lib-storage-delayed';

export interface RunRetries {
  /** Earlier attempts of this run that failed transiently (the run was timed again). */
  readonly run: number;
  /** API answers of 429 or 5xx seen by the proxy in the timed attempt (the SDK retried them). */
  readonly api: number;
  /** Chunk PUTs of the SDK answered with an error or failed in the network (retried by it). */
  readonly storage: number;
  /** AWS SDK retries of lib-storage's S3 calls ($metadata.attempts - 1). */
  readonly s3: number;
}

export interface ThroughputRun {
  readonly tool: Tool;
  /** Added latency of each API call (sdk) or multipart control call (lib-storage-delayed). */
  readonly latencyMs: number;
  readonly run: number;
  readonly seconds: number;
  readonly mibPerSecond: number;
  /** SDK runs: chunks sent and the requests that reached the API, by route. */
  readonly chunks?: number;
  readonly apiCalls?: Record<string, number>;
  readonly storagePuts?: number;
  readonly retries: RunRetries;
}

const CONTROL_COMMANDS = new Set([
  'CreateMultipartUploadCommand',
  'CompleteMultipartUploadCommand',
]);

/** A direct S3 client for the emulator, as lib-storage users would configure it. */
export function directS3Client(setup: Pick<ThroughputSetup, 'awsEndpoint' | 'region'>): S3Client {
  return new S3Client({
    region: setup.region,
    endpoint: setup.awsEndpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export interface InstrumentedS3 {
  readonly client: S3Client;
  /** Latency added once to each multipart control call (before it is signed and sent). */
  controlDelayMs: number;
  /** AWS SDK retries since the last reset, and control calls delayed. */
  readonly counts: { retries: number; delayed: number };
  reset(): void;
}

type Attempted = { $metadata?: { attempts?: number } } | undefined;
const retriesOf = (value: Attempted): number => Math.max(0, (value?.$metadata?.attempts ?? 1) - 1);

/** directS3Client with a middleware that counts retries and can delay the control calls. */
export function instrumentedS3Client(
  setup: Pick<ThroughputSetup, 'awsEndpoint' | 'region'>,
): InstrumentedS3 {
  const client = directS3Client(setup);
  const state: InstrumentedS3 = {
    client,
    controlDelayMs: 0,
    counts: { retries: 0, delayed: 0 },
    reset: () => {
      state.counts.retries = 0;
      state.counts.delayed = 0;
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (state.controlDelayMs > 0 && CONTROL_COMMANDS.has(context.commandName ?? '')) {
        state.counts.delayed++;
        await sleep(state.controlDelayMs);
      }
      try {
        const result = await next(args);
        state.counts.retries += retriesOf(result.output as Attempted);
        return result;
      } catch (error) {
        state.counts.retries += retriesOf(error as Attempted);
        throw error;
      }
    },
    { step: 'initialize', name: 'benchControlDelay' },
  );
  return state;
}

/** One SDK upload of the file through `proxy`: wall time from the call to the finished record. */
export async function sdkRun(
  setup: ThroughputSetup,
  proxy: DelayProxy,
  run: number,
): Promise<Omit<ThroughputRun, 'retries'> & { key: string; retries: Omit<RunRetries, 'run'> }> {
  proxy.resetStats();
  let storagePuts = 0;
  let storageFailures = 0;
  // The transport the CLI uses (node:http), counted: the proxy sees API calls only.
  const storageFetch: FetchLike = async (input, init) => {
    storagePuts++;
    try {
      const response = await nodeHttpFetch(input, init);
      if (!response.ok) storageFailures++;
      return response;
    } catch (error) {
      storageFailures++;
      throw error;
    }
  };
  let chunks = 0;
  const started = performance.now();
  // As the CLI calls it (default retries and API transport), without a resume store.
  const record = await uploadFile(setup.file, {
    apiUrl: proxy.url,
    token: setup.token,
    concurrency: setup.concurrency,
    chunkSize: setup.partSize,
    checksum: 'SHA256',
    store: false,
    storageFetch,
    fileName: `sdk-${proxy.delayMs}ms-run-${run}.bin`,
    onSession: (session) => {
      chunks = session.missingChunks;
    },
  });
  const seconds = (performance.now() - started) / 1000;
  if (record.size !== setup.fileSize)
    throw new Error(`SDK run ${run}: stored ${record.size} bytes, expected ${setup.fileSize}`);
  const stats = proxy.stats();
  return {
    tool: 'sdk',
    latencyMs: proxy.delayMs,
    run,
    seconds,
    mibPerSecond: mibPerSecond(setup.fileSize, seconds),
    chunks,
    apiCalls: stats.byRoute,
    storagePuts,
    retries: {
      api: Object.values(stats.retryableByRoute).reduce((a, b) => a + b, 0),
      storage: storageFailures,
      s3: 0,
    },
    key: record.key,
  };
}

/** One lib-storage upload of the file (streamed from disk), then a HeadObject size check. */
export async function libStorageRun(
  setup: ThroughputSetup,
  s3: InstrumentedS3,
  tool: Exclude<Tool, 'sdk'>,
  run: number,
  latencyMs: number,
): Promise<Omit<ThroughputRun, 'retries'> & { key: string; retries: Omit<RunRetries, 'run'> }> {
  const key = `bench/${tool}-${latencyMs}ms-run-${run}.bin`;
  s3.reset();
  const started = performance.now();
  await new Upload({
    client: s3.client,
    params: { Bucket: setup.bucket, Key: key, Body: createReadStream(setup.file) },
    partSize: setup.partSize,
    queueSize: setup.concurrency,
    leavePartsOnError: false,
  }).done();
  const seconds = (performance.now() - started) / 1000;
  const retries = s3.counts.retries;
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: setup.bucket, Key: key }));
  if (head.ContentLength !== setup.fileSize)
    throw new Error(`${tool} run ${run}: stored ${head.ContentLength} bytes`);
  return {
    tool,
    latencyMs,
    run,
    seconds,
    mibPerSecond: mibPerSecond(setup.fileSize, seconds),
    key,
    retries: { api: 0, storage: 0, s3: retries },
  };
}

const proxyFor = (setup: ThroughputSetup, delayMs: number) =>
  startDelayProxy({
    target: setup.apiUrl,
    delayMs,
    classify: apiRouteOf,
    // Bounded: far more than the runs need, and gone after an hour even if never closed.
    maxRequests: 100_000,
    lifetimeMs: 60 * 60_000,
  });

/** The clients measured at one latency, in the order they run. */
export const toolsAt = (
  latencyMs: number,
  plan: Pick<ThroughputPlan, 'libStorageDelayed'>,
): Tool[] =>
  latencyMs > 0 && plan.libStorageDelayed
    ? ['sdk', 'lib-storage', 'lib-storage-delayed']
    : ['sdk', 'lib-storage'];

/**
 * For each latency: alternates SDK and lib-storage runs (SDK first), deleting each object
 * afterwards so that the emulator's memory does not grow from run to run. A small untimed upload
 * by each client first warms connections and the handler modules. A run that fails transiently is
 * timed again from the start, up to `plan.runAttempts` times, and reported.
 */
export async function measureThroughput(
  setup: ThroughputSetup,
  warmup: ThroughputSetup,
  plan: ThroughputPlan,
): Promise<ThroughputRun[]> {
  const direct = instrumentedS3Client(setup);
  const delayed = instrumentedS3Client(setup);
  const drop = (key: string) =>
    bestEffort(`delete ${key}`, () =>
      direct.client.send(new DeleteObjectCommand({ Bucket: setup.bucket, Key: key })),
    );
  try {
    const warm = await proxyFor(warmup, 0);
    try {
      note(`warm-up: ${warmup.fileSize / warmup.partSize} parts with each client (not measured)`);
      await plan.retries.attempt('warm-up sdk', plan.runAttempts, async () => {
        await drop((await sdkRun(warmup, warm, 0)).key);
      });
      await plan.retries.attempt('warm-up lib-storage', plan.runAttempts, async () => {
        await drop((await libStorageRun(warmup, direct, 'lib-storage', 0, 0)).key);
      });
    } finally {
      await warm.close();
    }
    const runs: ThroughputRun[] = [];
    for (const latencyMs of plan.latenciesMs) {
      const proxy = await proxyFor(setup, latencyMs);
      delayed.controlDelayMs = latencyMs;
      try {
        for (let run = 1; run <= setup.runs; run++) {
          for (const tool of toolsAt(latencyMs, plan)) {
            const step = `throughput ${tool} +${latencyMs} ms run ${run}`;
            note(`${step}/${setup.runs}`);
            let attempts = 0;
            const { key, retries, ...result } = await plan.retries.attempt(
              step,
              plan.runAttempts,
              (attempt) => {
                attempts = attempt;
                if (tool === 'sdk') return sdkRun(setup, proxy, run);
                return libStorageRun(
                  setup,
                  tool === 'lib-storage' ? direct : delayed,
                  tool,
                  run,
                  latencyMs,
                );
              },
            );
            note(`  ${result.seconds.toFixed(1)} s, ${result.mibPerSecond.toFixed(1)} MB/s`);
            runs.push({ ...result, retries: { ...retries, run: attempts - 1 } });
            await drop(key);
          }
        }
      } finally {
        await proxy.close();
      }
    }
    return runs;
  } finally {
    direct.client.destroy();
    delayed.client.destroy();
  }
}
