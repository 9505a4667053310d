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

/** Newest first from the user index; the cursor names the last item returned, inside the caller's partition. */
export async function listSessionsPage(
  db: DynamoDBDocumentClient,
  table: string,
  query: ListQuery,
): Promise<{ items: UploadSession[]; nextCursor: string | null }> {
  const filter = FILTERS[query.filter];
  const items: UploadSession[] = [];
  let startKey = query.cursor ? decodeCursor(query.userId, query.cursor) : undefined;
  let exhausted = false;
  let skipped = false;
  while (items.length < query.limit && !exhausted) {
    const values = filter.values(query.now);
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
        ExpressionAttributeValues: { ':user': keys.userIndex(query.userId), ...values },
        ScanIndexForward: false,
        Limit: query.limit,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (items.length === query.limit) {
        skipped = true;
        break;
      }
      items.push(fromSessionItem(item));
    }
    startKey = page.LastEvaluatedKey;
    exhausted = !startKey;
  }
  const last = items.at(-1);
  return { items, nextCursor: last && (skipped || !exhausted) ? encodeCursor(last) : null };
}

function encodeCursor(session: UploadSession): string {
  return Buffer.from(JSON.stringify([session.createdAt, session.id])).toString('base64url');
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
