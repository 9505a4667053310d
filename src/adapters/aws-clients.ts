import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClientOptions {
  readonly region: string;
  readonly endpoint: string | undefined;
}

export interface DocumentClientOptions extends AwsClientOptions {
  /** Socket (silence) timeout; DYNAMODB_TIMEOUT_MS. @default 1000 */
  readonly timeoutMs?: number;
}

/**
 * Without these the SDK waits on a silent connection for minutes (DynamoDB's default socket
 * timeout is 300 s, S3 has none) and the route's Lambda times out with no envelope. With them, a
 * storage black hole is a 503 STORAGE_UNAVAILABLE after the SDK's attempts (DynamoDB 4 x 1 s,
 * S3 3 x 2 s), within the 10 s route timeout. `socketTimeout` counts inactivity only; S3 keeps a
 * long CompleteMultipartUpload alive by sending whitespace.
 */
const DYNAMODB_TIMEOUTS = { connectionTimeout: 1_000, socketTimeout: 1_000 };
const S3_TIMEOUTS = { connectionTimeout: 1_000, socketTimeout: 2_000 };
/**
 * CompleteMultipartUpload of many parts can take S3 minutes (it keeps the connection alive with
 * whitespace) and emulators answer only at the end: its client waits 25 s of silence, twice at
 * most, which fits the complete function's 60 s timeout (infra/upload-api-props.ts).
 */
export const ASSEMBLY_TIMEOUTS = { connectionTimeout: 1_000, socketTimeout: 25_000 };
const ASSEMBLY_ATTEMPTS = 2;

export function createS3Client(
  options: AwsClientOptions,
  timeouts: { connectionTimeout: number; socketTimeout: number } = S3_TIMEOUTS,
  maxAttempts?: number,
): S3Client {
  return new S3Client({
    region: options.region,
    requestHandler: timeouts,
    ...(maxAttempts ? { maxAttempts } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    // Otherwise presigned URLs carry a default checksum (of an empty body) that breaks every PUT.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** The S3 client for assembling objects: short connect, long wait for the answer. */
export const createAssemblyS3Client = (options: AwsClientOptions): S3Client =>
  createS3Client(options, ASSEMBLY_TIMEOUTS, ASSEMBLY_ATTEMPTS);

export function createDocumentClient(options: DocumentClientOptions): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: options.region,
    requestHandler: {
      ...DYNAMODB_TIMEOUTS,
      ...(options.timeoutMs ? { socketTimeout: options.timeoutMs } : {}),
    },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
