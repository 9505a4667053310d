import type {
  Context,
  DynamoDBBatchItemFailure,
  DynamoDBBatchResponse,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { sessionChangesOf } from '../src/adapters/dynamo-live-connections.ts';
import { isTransient } from '../src/adapters/sdk-errors.ts';
import { StorageUnavailableError } from '../src/domain/errors.ts';
import { pushChanges } from '../src/domain/live/use-cases.ts';
import { publishMetrics } from './commons/upload-metrics.ts';
import { liveDeps, logger } from './live-dependencies.ts';

/**
 * The table's stream consumer: sends the progress of changed sessions to their subscribers.
 * The event source lets only writes of session items through (SESSION_CHANGE_FILTER in
 * infra/upload-live.ts); sessionChangesOf applies the same rule again.
 *
 * Folding: all records of one session in a batch are one change; across batches the folder
 * (kept in the module, so for as long as this execution environment lives) sends a session at
 * most once per 250 ms and holds later changes back, waiting within the invocation (250 ms at
 * most) to send them, so that no change is left unsent when the invocation ends. A session's
 * items share one partition, hence one shard, and Lambda runs one batch of a shard at a time
 * (parallelization factor 1), polling it about 4 times a second: a new environment taking over a
 * shard starts with an empty folder but still sees batches at that pace.
 *
 * Sessions whose push failed transiently (DynamoDB, throttling of the management API) are
 * reported back, so Lambda retries from their first record; a connection found gone is forgotten.
 */
export const handler = async (
  event: DynamoDBStreamEvent,
  context?: Context,
): Promise<DynamoDBBatchResponse> => {
  if (context) logger.addContext(context);
  try {
    const changes = sessionChangesOf(event.Records);
    const report = await pushChanges(liveDeps, changes);
    const retried = new Set<string>();
    for (const { sessionId, error } of report.failures) {
      const transient = error instanceof StorageUnavailableError || isTransient(error);
      if (transient) retried.add(sessionId);
      const log = transient ? logger.warn : logger.error;
      log.call(logger, 'live push failed', { sessionId, retry: transient, error });
    }
    logger.info('live push', {
      records: event.Records.length,
      changes: changes.length,
      sessions: report.sessions,
      messages: report.messages,
      gone: report.gone,
      failed: report.failures.length,
    });
    return { batchItemFailures: firstRecordsOf(event, retried) };
  } finally {
    publishMetrics();
  }
};

/** The first record of each given session: Lambda retries from the lowest one reported. */
function firstRecordsOf(
  event: DynamoDBStreamEvent,
  sessionIds: ReadonlySet<string>,
): DynamoDBBatchItemFailure[] {
  if (sessionIds.size === 0) return [];
  const seen = new Set<string>();
  const failures: DynamoDBBatchItemFailure[] = [];
  for (const record of event.Records) {
    const [change] = sessionChangesOf([record]);
    if (!change || !sessionIds.has(change.sessionId) || seen.has(change.sessionId)) continue;
    seen.add(change.sessionId);
    failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
  }
  return failures;
}
