import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createAssemblyS3Client,
  createDocumentClient,
  createS3Client,
} from '../../src/adapters/aws-clients.ts';
import { DynamoSessionLedger } from '../../src/adapters/dynamo-session-ledger.ts';
import { S3UploadStorage } from '../../src/adapters/s3-upload-storage.ts';
import { loadConfig } from '../../src/config.ts';
import type { UploadDeps } from '../../src/domain/deps.ts';
import { redactingReplacer } from './log-redaction.ts';
import { uploadEvents } from './upload-metrics.ts';

/** Created once per cold start: config, SDK clients and adapters are shared by every invocation. */
export const config = loadConfig();

export const logger = new Logger({ serviceName: 'upload-api', jsonReplacerFn: redactingReplacer });

const s3Options = { region: config.region, endpoint: config.endpoints.s3 };

/** The SDK clients every handler of this process shares (tests hook their middleware stacks). */
export const awsClients = {
  s3: createS3Client(s3Options),
  s3Assembly: createAssemblyS3Client(s3Options),
  documents: createDocumentClient({
    region: config.region,
    endpoint: config.endpoints.dynamodb,
    timeoutMs: config.dynamodbTimeoutMs,
  }),
};

export const deps: UploadDeps = {
  ledger: new DynamoSessionLedger(awsClients.documents, config.tableName),
  storage: new S3UploadStorage(awsClients.s3, config.bucketName, awsClients.s3Assembly),
  clock: { now: () => new Date() },
  ids: { newId: () => randomUUID() },
  policy: config.policy,
  sleep: (ms) => sleep(ms),
  events: uploadEvents(),
};
