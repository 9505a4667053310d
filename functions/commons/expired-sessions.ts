import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';

/** The principal DynamoDB sets on stream records of items its TTL process deleted. */
export const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';

/** What a TTL-deleted session item still knows about its storage. */
export interface ExpiredSession {
  readonly sessionId: string;
  readonly userId: string;
  readonly status: string;
  readonly key: string;
  readonly uploadId: string;
}

export type SkipReason = 'not-a-ttl-removal' | 'not-a-session' | 'unreadable-image';

export type ExpiredSessionDecision =
  | { readonly action: 'skip'; readonly reason: SkipReason }
  /** An uploaded (or deleted) file's record is gone: its object goes with it. */
  | { readonly action: 'delete-file'; readonly session: ExpiredSession }
  /** Unfinished or ended without a file: release the parts and any object under the key. */
  | { readonly action: 'abort'; readonly session: ExpiredSession };

/** Statuses whose multipart upload was completed: only the object is left to release. */
const FILE_STATUSES = new Set(['uploaded', 'deleted']);

export function isTtlRemoval(record: DynamoDBRecord): boolean {
  const identity = record.userIdentity as { type?: unknown; principalId?: unknown } | undefined;
  return (
    record.eventName === 'REMOVE' &&
    identity?.type === 'Service' &&
    identity.principalId === TTL_PRINCIPAL
  );
}

/**
 * Decides what to do with one stream record. Only TTL deletions of session items count; a
 * user-initiated delete never comes from the TTL principal, so it is skipped even if the
 * event-source filter lets it through.
 */
export function decideExpiredSession(record: DynamoDBRecord): ExpiredSessionDecision {
  if (!isTtlRemoval(record)) return { action: 'skip', reason: 'not-a-ttl-removal' };
  const image = record.dynamodb?.OldImage;
  if (!image) return { action: 'skip', reason: 'not-a-session' };
  const item = readImage(image as Record<string, AttributeValue>);
  if (!item) return { action: 'skip', reason: 'unreadable-image' };
  if (item.entity !== 'session' || item.SK !== 'SESSION') {
    return { action: 'skip', reason: 'not-a-session' };
  }
  const session = toExpiredSession(item);
  if (!session) return { action: 'skip', reason: 'unreadable-image' };
  return { action: FILE_STATUSES.has(session.status) ? 'delete-file' : 'abort', session };
}

/**
 * The Lambda event's AttributeValue type and the SDK's describe the same JSON. An image that
 * cannot be read is skipped: retrying it would only block the shard.
 */
function readImage(image: Record<string, AttributeValue>): Record<string, unknown> | undefined {
  try {
    return unmarshall(image);
  } catch {
    return undefined;
  }
}

function toExpiredSession(item: Record<string, unknown>): ExpiredSession | undefined {
  const { PK, id, userId, status, key, uploadId } = item;
  const sessionId =
    typeof id === 'string' ? id : typeof PK === 'string' ? PK.replace(/^SESSION#/, '') : '';
  if (
    sessionId === '' ||
    typeof status !== 'string' ||
    typeof key !== 'string' ||
    key === '' ||
    typeof uploadId !== 'string' ||
    uploadId === ''
  ) {
    return undefined;
  }
  return {
    sessionId,
    userId: typeof userId === 'string' ? userId : '',
    status,
    key,
    uploadId,
  };
}
