import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createS3Client } from '../src/adapters/aws-clients.ts';
import { ensureBucket, ensureTable } from './bootstrap.ts';
import { type Emulator, startEmulator } from './emulator.ts';
import { type ApiServer, startApiServer } from './server.ts';

export interface LocalStack {
  readonly apiUrl: string;
  readonly awsEndpoint: string;
  readonly emulator: Emulator | undefined;
  stop(): Promise<void>;
}

/**
 * The embedded emulator (unless AWS_ENDPOINT_URL points elsewhere), the bucket and table, and the
 * API server. Everything it needs is read from and written to process.env, as Lambda would see it.
 */
export async function startLocalStack(options: {
  port: number;
  log?: (line: string) => void;
}): Promise<LocalStack> {
  const env = process.env;
  env.UPLOADS_TABLE ??= 'uploads-local';
  env.UPLOADS_BUCKET ??= 'uploads-local';
  env.AWS_REGION ??= 'us-east-1';
  let emulator: Emulator | undefined;
  if (!env.AWS_ENDPOINT_URL) {
    emulator = await startEmulator(options.log ? { log: options.log } : {});
    env.AWS_ENDPOINT_URL = emulator.endpoint;
    env.AWS_ACCESS_KEY_ID ??= 'test';
    env.AWS_SECRET_ACCESS_KEY ??= 'test';
  }
  let server: ApiServer | undefined;
  try {
    const aws = { region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL };
    await ensureBucket(createS3Client(aws), env.UPLOADS_BUCKET);
    await ensureTable(new DynamoDBClient(aws), env.UPLOADS_TABLE);
    server = await startApiServer({ port: options.port });
  } catch (error) {
    await emulator?.stop();
    throw error;
  }
  const api = server;
  return {
    apiUrl: api.url,
    awsEndpoint: env.AWS_ENDPOINT_URL,
    emulator,
    stop: async () => {
      await api.close();
      await emulator?.stop();
    },
  };
}
