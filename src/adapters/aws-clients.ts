import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClientOptions {
  readonly region: string;
  readonly endpoint: string | undefined;
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

export function createS3Client(options: AwsClientOptions): S3Client {
  return new S3Client({
    region: options.region,
    requestHandler: S3_TIMEOUTS,
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    // Otherwise presigned URLs carry a default checksum (of an empty body) that breaks every PUT.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function createDocumentClient(options: AwsClientOptions): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: options.region,
    requestHandler: DYNAMODB_TIMEOUTS,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
