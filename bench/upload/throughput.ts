/**
 * Throughput of the SDK (through the local API: sign, PUT to storage, record, complete) against
 * `@aws-sdk/lib-storage`'s `Upload` (direct multipart with credentials, no control plane) on the
 * same file, part size and concurrency, runs alternating; plus the API calls the SDK makes.
 */
import { createReadStream } from 'node:fs';
import { DeleteObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { apiBaseUrl } from '../../client/sdk/api.ts';
import { uploadFile } from '../../client/sdk/node.ts';
import type { ChecksumMode } from '../../client/sdk/types.ts';
import { countingFetch, mibPerSecond, note } from './support.ts';

export interface ThroughputSetup {
  readonly apiUrl: string;
  readonly token: string;
  readonly awsEndpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly file: string;
  readonly fileSize: number;
  readonly partSize: number;
  readonly concurrency: number;
  /** Measured runs of each client, alternating SDK, lib-storage, SDK, ... */
  readonly runs: number;
}

export type Tool = 'sdk' | 'lib-storage';

export interface ThroughputRun {
  readonly tool: Tool;
  readonly run: number;
  readonly seconds: number;
  readonly mibPerSecond: number;
  /** SDK runs: chunks sent and the requests that reached the API, by route. */
  readonly chunks?: number;
  readonly apiCalls?: Record<string, number>;
  readonly storagePuts?: number;
}

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

/** One SDK upload of the file: wall time from the call to the finished record. */
export async function sdkRun(
  setup: ThroughputSetup,
  run: number,
  checksum: ChecksumMode = 'SHA256',
): Promise<ThroughputRun & { key: string }> {
  const counter = countingFetch(apiBaseUrl(setup.apiUrl));
  let chunks = 0;
  const started = performance.now();
  const record = await uploadFile(setup.file, {
    apiUrl: setup.apiUrl,
    token: setup.token,
    concurrency: setup.concurrency,
    chunkSize: setup.partSize,
    checksum,
    store: false,
    fetch: counter.fetch,
    retry: { retries: 0 }, // a failure must surface, not hide inside a slower number
    fileName: `sdk-run-${run}.bin`,
    onSession: (session) => {
      chunks = session.missingChunks;
    },
  });
  const seconds = (performance.now() - started) / 1000;
  if (record.size !== setup.fileSize)
    throw new Error(`SDK run ${run}: stored ${record.size} bytes, expected ${setup.fileSize}`);
  return {
    tool: 'sdk',
    run,
    seconds,
    mibPerSecond: mibPerSecond(setup.fileSize, seconds),
    chunks,
    apiCalls: counter.apiCalls(),
    storagePuts: counter.otherCalls(),
    key: record.key,
  };
}

/** One lib-storage upload of the file (streamed from disk), then a HeadObject size check. */
export async function libStorageRun(
  setup: ThroughputSetup,
  s3: S3Client,
  run: number,
): Promise<ThroughputRun & { key: string }> {
  const key = `bench/lib-storage-run-${run}.bin`;
  const started = performance.now();
  await new Upload({
    client: s3,
    params: { Bucket: setup.bucket, Key: key, Body: createReadStream(setup.file) },
    partSize: setup.partSize,
    queueSize: setup.concurrency,
    leavePartsOnError: false,
  }).done();
  const seconds = (performance.now() - started) / 1000;
  const head = await s3.send(new HeadObjectCommand({ Bucket: setup.bucket, Key: key }));
  if (head.ContentLength !== setup.fileSize)
    throw new Error(`lib-storage run ${run}: stored ${head.ContentLength} bytes`);
  return {
    tool: 'lib-storage',
    run,
    seconds,
    mibPerSecond: mibPerSecond(setup.fileSize, seconds),
    key,
  };
}

/**
 * Alternates SDK and lib-storage runs (SDK first), deleting each object afterwards so that the
 * emulator's memory does not grow from run to run. A small untimed upload by each client first
 * warms connections and the handler modules.
 */
export async function measureThroughput(
  setup: ThroughputSetup,
  warmup: ThroughputSetup,
): Promise<ThroughputRun[]> {
  const s3 = directS3Client(setup);
  const drop = (key: string) =>
    s3.send(new DeleteObjectCommand({ Bucket: setup.bucket, Key: key }));
  try {
    note(`warm-up: ${warmup.fileSize / warmup.partSize} parts with each client (not measured)`);
    await drop((await sdkRun(warmup, 0)).key);
    await drop((await libStorageRun(warmup, s3, 0)).key);
    const runs: ThroughputRun[] = [];
    for (let run = 1; run <= setup.runs; run++) {
      for (const tool of ['sdk', 'lib-storage'] as const) {
        note(`throughput: ${tool} run ${run}/${setup.runs}`);
        const { key, ...result } =
          tool === 'sdk' ? await sdkRun(setup, run) : await libStorageRun(setup, s3, run);
        note(`  ${result.seconds.toFixed(1)} s, ${result.mibPerSecond.toFixed(1)} MB/s`);
        runs.push(result);
        await drop(key);
      }
    }
    return runs;
  } finally {
    s3.destroy();
  }
}
