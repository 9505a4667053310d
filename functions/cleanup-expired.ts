import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type {
  Context,
  DynamoDBBatchItemFailure,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import * as z from 'zod';
import { createS3Client } from '../src/adapters/aws-clients.ts';
import { S3UploadStorage } from '../src/adapters/s3-upload-storage.ts';
import { serviceEndpoints } from '../src/config.ts';
import { StorageUnavailableError } from '../src/domain/errors.ts';
import { releaseStorage } from '../src/domain/release-storage.ts';
import { decideExpiredSession } from './commons/expired-sessions.ts';
import { redactingReplacer } from './commons/log-redaction.ts';
import { METRIC, metrics, publishMetrics } from './commons/upload-metrics.ts';

/**
 * Not src/config.ts: loadConfig() would also demand UPLOADS_TABLE, and importing that module
 * bundles its `import { z }`, which drags in every zod locale (about 440 KB minified; the
 * namespace import below costs about 90 KB).
 */
class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const EnvSchema = z.object({
  UPLOADS_BUCKET: z.string().min(1, 'UPLOADS_BUCKET must name the S3 bucket'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: z.url().optional(),
  AWS_ENDPOINT_URL_S3: z.url().optional(),
});

function readEnv(env: Record<string, string | undefined>): z.output<typeof EnvSchema> {
  const parsed = EnvSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new ConfigError(`Invalid configuration: ${problems}`);
}

const env = readEnv(process.env);
const storage = new S3UploadStorage(
  createS3Client({ region: env.AWS_REGION, endpoint: serviceEndpoints(env).s3 }),
  env.UPLOADS_BUCKET,
);
const logger = new Logger({ serviceName: 'upload-api', jsonReplacerFn: redactingReplacer });
/** Sessions that expired before they finished (cancelled and failed ones expire too, later). */
const UNFINISHED = new Set(['initiated', 'uploading', 'completing']);

/**
 * Releases the storage of every session that DynamoDB's TTL deleted: the multipart upload (and any
 * object) of one that never finished, the object of an uploaded or deleted file, so no object
 * outlives its record. Only transient storage failures are reported back, so Lambda retries just
 * those.
 */
export const handler = async (
  event: DynamoDBStreamEvent,
  context?: Context,
): Promise<DynamoDBBatchResponse> => {
  if (context) logger.addContext(context);
  try {
    const failures = await Promise.all(event.Records.map(cleanUp));
    return { batchItemFailures: failures.filter((f) => f !== undefined) };
  } finally {
    publishMetrics();
  }
};

async function cleanUp(record: DynamoDBRecord): Promise<DynamoDBBatchItemFailure | undefined> {
  const decision = decideExpiredSession(record);
  if (decision.action === 'skip') {
    logger.debug('stream record skipped', { eventName: record.eventName, reason: decision.reason });
    return undefined;
  }
  const { sessionId, userId, status, key, uploadId } = decision.session;
  const fields = { sessionId, userId, status };
  try {
    // Idempotent: an upload already aborted or completed, or an object gone, counts as released.
    if (decision.action === 'delete-file') {
      await storage.deleteObject(key);
      logger.info('expired session cleaned up', { ...fields, outcome: 'deleted-file' });
      return undefined;
    }
    await releaseStorage(storage, { key, uploadId });
    logger.info('expired session cleaned up', { ...fields, outcome: 'aborted' });
    if (UNFINISHED.has(status)) metrics.addMetric(METRIC.expired, MetricUnit.Count, 1);
    return undefined;
  } catch (error) {
    if (error instanceof StorageUnavailableError) {
      logger.warn('expired session cleanup will be retried', {
        ...fields,
        outcome: 'retry',
        error,
      });
      // An empty identifier makes Lambda retry the whole batch: safe, since aborts are idempotent.
      return { itemIdentifier: record.dynamodb?.SequenceNumber ?? '' };
    }
    // A permanent failure (access denied, no such bucket) would fail on every retry and block
    // the shard: it is logged as an error instead, for an alarm to catch.
    logger.error('expired session cleanup failed', { ...fields, outcome: 'failed', error });
    return undefined;
  }
}
