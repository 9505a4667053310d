import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';

export const TABLE_STREAM_ARN =
  'arn:aws:dynamodb:us-east-1:123456789012:table/uploads/stream/2026-01-01T00:00:00.000';

export interface SessionImage {
  readonly id: string;
  readonly userId: string;
  readonly key: string;
  readonly uploadId: string;
  readonly status: string;
  readonly expiresAt?: number;
}

let sequence = 4_421_584_500_000_000_017_450_439_000n;

/** A session item as DynamoDB Streams writes it: AttributeValue JSON, every attribute stored. */
export function sessionImage(session: SessionImage): Record<string, AttributeValue> {
  const createdAt = '2026-01-01T12:00:00.000Z';
  return {
    PK: { S: `SESSION#${session.id}` },
    SK: { S: 'SESSION' },
    GSI1PK: { S: `USER#${session.userId}` },
    GSI1SK: { S: `${createdAt}#${session.id}` },
    entity: { S: 'session' },
    id: { S: session.id },
    userId: { S: session.userId },
    fileId: { S: `file-${session.id}` },
    fileName: { S: 'video.mp4' },
    fileSize: { N: '16777216' },
    contentType: { S: 'video/mp4' },
    chunkSize: { N: '5242880' },
    totalChunks: { N: '4' },
    checksumMode: { S: 'NONE' },
    metadata: { M: {} },
    key: { S: session.key },
    uploadId: { S: session.uploadId },
    status: { S: session.status },
    createdAt: { S: createdAt },
    updatedAt: { S: createdAt },
    expiresAt: { N: String(session.expiresAt ?? 1_767_355_200) },
    uploadedBytes: { N: '5242880' },
    chunksUploaded: { N: '1' },
    completionToken: { S: 'secret-completion-token' },
  };
}

/** A real item, as read with the document client, in the stream's AttributeValue JSON. */
export const imageOf = (item: Record<string, unknown>): Record<string, AttributeValue> =>
  marshall(item, { removeUndefinedValues: true }) as Record<string, AttributeValue>;

export interface RecordOptions {
  readonly eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
  /** `null` for a delete made by a user or an application: no userIdentity at all. */
  readonly userIdentity?: { type: string; principalId: string } | null;
}

/**
 * The record Lambda receives for an item deleted by TTL (the default), or, with options, any
 * other change of the same item.
 */
export function streamRecord(
  image: Record<string, AttributeValue>,
  options: RecordOptions = {},
): DynamoDBRecord {
  const eventName = options.eventName ?? 'REMOVE';
  const identity =
    options.userIdentity === undefined
      ? { type: 'Service', principalId: 'dynamodb.amazonaws.com' }
      : options.userIdentity;
  sequence += 100n;
  const keys = { PK: image.PK ?? { S: '' }, SK: image.SK ?? { S: '' } };
  return {
    eventID: `c4ca4238a0b923820dcc509a6f75849b${sequence % 1000n}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: 1_767_355_260,
      Keys: keys,
      ...(eventName !== 'INSERT' ? { OldImage: image } : {}),
      ...(eventName !== 'REMOVE' ? { NewImage: image } : {}),
      SequenceNumber: String(sequence),
      SizeBytes: 512,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    ...(identity ? { userIdentity: identity } : {}),
    eventSourceARN: TABLE_STREAM_ARN,
  };
}
