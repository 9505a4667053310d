/**
 * The cost model: what one measured upload used, scaled to a total volume and priced. Pure: no
 * I/O, no clock. The measurement (bench/cost/measure.ts) counts what an upload of one file used;
 * the model multiplies it by the number of such files in the volume and applies the price table.
 */
import { type PriceTable, unitPrice } from './prices.ts';

/** GB as CloudWatch Logs bills it: 2^30 bytes. */
export const GB = 1024 ** 3;

/** What one upload of `fileBytes` in chunks of `chunkBytes` used. */
export interface UploadUsage {
  readonly fileBytes: number;
  readonly chunkBytes: number;
  readonly chunks: number;
  /** API Gateway requests; each is one Lambda invocation (every route has its function). */
  readonly apiRequests: number;
  /** Sum over the invocations of each one's duration rounded up to the ms, as Lambda bills it. */
  readonly lambdaBilledMs: number;
  /** DynamoDB read and write request units (on-demand). */
  readonly readUnits: number;
  readonly writeUnits: number;
  /** S3 requests by operation (`UploadPart`, `ListParts`, ...), whoever sent them. */
  readonly s3Requests: Readonly<Record<string, number>>;
  /** Bytes ingested by CloudWatch Logs (function, platform and access log lines). */
  readonly logBytes: number;
}

export type S3PriceClass = 'putCopyPostList' | 'getAndOther' | 'deleteCancel';

const PUT_COPY_POST_LIST = new Set([
  'PutObject',
  'CopyObject',
  'UploadPart',
  'UploadPartCopy',
  'CreateMultipartUpload',
  'CompleteMultipartUpload',
  'ListParts',
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
  'ListMultipartUploads',
  'ListBuckets',
  'PostObject',
]);
const DELETE_CANCEL = new Set(['DeleteObject', 'DeleteObjects', 'AbortMultipartUpload']);

/** S3's request price class of an operation (`UploadPart` or `UploadPartCommand`). */
export function s3PriceClass(operation: string): S3PriceClass {
  const name = operation.replace(/Command$/, '');
  if (PUT_COPY_POST_LIST.has(name)) return 'putCopyPostList';
  if (DELETE_CANCEL.has(name)) return 'deleteCancel';
  return 'getAndOther';
}

export interface VolumeCost {
  /** Files of `fileBytes` in the volume (fractional when it does not divide evenly). */
  readonly uploads: number;
  readonly chunks: number;
  readonly apiRequests: number;
  readonly lambdaGbSeconds: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly s3Requests: Readonly<Record<S3PriceClass, number>>;
  readonly logGb: number;
  /** USD by line, and the total. */
  readonly usd: {
    readonly apiGateway: number;
    readonly lambdaRequests: number;
    readonly lambdaDuration: number;
    readonly dynamodb: number;
    readonly s3Requests: number;
    readonly logs: number;
    readonly total: number;
  };
}

/**
 * The cost of uploading `totalBytes` as files like the measured one: every count of `usage`
 * times totalBytes / fileBytes, priced with `prices`. Lambda duration is GB-seconds at
 * `memoryMB`. Storage of any kind is not included (see prices.json `notIncluded`).
 */
export function volumeCost(
  usage: UploadUsage,
  totalBytes: number,
  memoryMB: number,
  prices: PriceTable,
): VolumeCost {
  if (!(usage.fileBytes > 0)) throw new RangeError('fileBytes must be positive');
  if (!(totalBytes > 0)) throw new RangeError('totalBytes must be positive');
  const uploads = totalBytes / usage.fileBytes;
  const s3ByClass: Record<S3PriceClass, number> = {
    putCopyPostList: 0,
    getAndOther: 0,
    deleteCancel: 0,
  };
  for (const [operation, n] of Object.entries(usage.s3Requests))
    s3ByClass[s3PriceClass(operation)] += n * uploads;
  const apiRequests = usage.apiRequests * uploads;
  const lambdaGbSeconds = (usage.lambdaBilledMs / 1000) * (memoryMB / 1024) * uploads;
  const readUnits = usage.readUnits * uploads;
  const writeUnits = usage.writeUnits * uploads;
  const logGb = (usage.logBytes * uploads) / GB;
  const price = (name: Parameters<typeof unitPrice>[1]) => unitPrice(prices, name);
  const usd = {
    apiGateway: apiRequests * price('apiGatewayHttpRequest'),
    lambdaRequests: apiRequests * price('lambdaRequest'),
    lambdaDuration: lambdaGbSeconds * price('lambdaArm64GbSecond'),
    dynamodb:
      readUnits * price('dynamodbReadRequestUnit') + writeUnits * price('dynamodbWriteRequestUnit'),
    s3Requests:
      s3ByClass.putCopyPostList * price('s3PutCopyPostListRequest') +
      s3ByClass.getAndOther * price('s3GetAndOtherRequest') +
      s3ByClass.deleteCancel * price('s3DeleteCancelRequest'),
    logs: logGb * price('cloudwatchLogsIngestionGb'),
  };
  return {
    uploads,
    chunks: usage.chunks * uploads,
    apiRequests,
    lambdaGbSeconds,
    readUnits,
    writeUnits,
    s3Requests: s3ByClass,
    logGb,
    usd: { ...usd, total: Object.values(usd).reduce((a, b) => a + b, 0) },
  };
}
