import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { validationError } from '../domain/errors.ts';
import { epochSeconds, type UploadSession } from '../domain/session.ts';
import { fromSessionItem, keys, USER_INDEX } from './session-item.ts';

export interface ListQuery {
  readonly userId: string;
  readonly filter: 'active' | 'uploaded' | 'all';
  readonly limit: number;
  readonly cursor?: string;
  readonly now: Date;
}

const FILTERS: Record<
  ListQuery['filter'],
  Pick<QueryCommandInput, 'FilterExpression'> & { values: (now: Date) => Record<string, unknown> }
> = {
  all: { values: () => ({}) },
  uploaded: {
    FilterExpression: '#status = :uploaded',
    values: () => ({ ':uploaded': 'uploaded' }),
  },
  active: {
    FilterExpression: '#status IN (:initiated, :uploading) AND expiresAt > :nowEpoch',
    values: (now) => ({
      ':initiated': 'initiated',
      ':uploading': 'uploading',
      ':nowEpoch': epochSeconds(now),
    }),
  },
};

/** Items one filtered Query evaluates: large, so a rarely matching filter needs few round trips. */
export const FILTERED_PAGE_LIMIT = 100;
/** Query calls one list request makes at most, whatever the filter and however rarely it matches. */
export const LIST_QUERY_BUDGET = 4;

/**
 * Newest first from the user index, within a fixed budget of Query calls. A page may hold fewer
 * than `limit` items, even none, while `nextCursor` says where to go on. The cursor names the last
 * item returned, or the last one evaluated when the budget ran out, inside the caller's partition.
 */
export async function listSessionsPage(
  db: DynamoDBDocumentClient,
  table: string,
  query: ListQuery,
): Promise<{ items: UploadSession[]; nextCursor: string | null }> {
  const filter = FILTERS[query.filter];
  const pageLimit = filter.FilterExpression
    ? Math.max(query.limit, FILTERED_PAGE_LIMIT)
    : query.limit;
  const items: UploadSession[] = [];
  let startKey = query.cursor ? decodeCursor(query.userId, query.cursor) : undefined;
  for (let calls = 0; calls < LIST_QUERY_BUDGET && items.length < query.limit; calls++) {
    const page = await db.send(
      new QueryCommand({
        TableName: table,
        IndexName: USER_INDEX,
        KeyConditionExpression: 'GSI1PK = :user',
        ...(filter.FilterExpression
          ? {
              FilterExpression: filter.FilterExpression,
              ExpressionAttributeNames: { '#status': 'status' },
            }
          : {}),
        ExpressionAttributeValues: {
          ':user': keys.userIndex(query.userId),
          ...filter.values(query.now),
        },
        ScanIndexForward: false,
        Limit: pageLimit,
        ExclusiveStartKey: startKey,
      }),
    );
    const found = (page.Items ?? []).map(fromSessionItem);
    const room = query.limit - items.length;
    items.push(...found.slice(0, room));
    // Matches past `limit` are left for the next request, which starts after the last one returned.
    if (found.length > room) return { items, nextCursor: cursorAt(items.at(-1) as UploadSession) };
    startKey = page.LastEvaluatedKey as Record<string, string> | undefined;
    if (!startKey) return { items, nextCursor: null };
  }
  return { items, nextCursor: cursorAt(positionOf(startKey as Record<string, string>)) };
}

function cursorAt(position: Pick<UploadSession, 'createdAt' | 'id'>): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

/** The session a LastEvaluatedKey of the user index stands at (its sort key is `createdAt#id`). */
function positionOf(lastKey: Record<string, string>): Pick<UploadSession, 'createdAt' | 'id'> {
  const id = (lastKey.PK as string).slice(keys.session('').PK.length);
  return { id, createdAt: (lastKey.GSI1SK as string).slice(0, -(id.length + 1)) };
}

function decodeCursor(userId: string, cursor: string): Record<string, string> {
  try {
    const [createdAt, id] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    ) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string') {
      return {
        ...keys.session(id),
        GSI1PK: keys.userIndex(userId),
        GSI1SK: keys.userIndexSort(createdAt, id),
      };
    }
  } catch {
    // fall through to the validation error
  }
  throw validationError('cursor', 'cursor is not one this API returned');
}
