import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createS3Client } from '../src/adapters/aws-clients.ts';
import { serviceEndpoints } from '../src/config.ts';
import { ensureBucket, ensureTable } from './bootstrap.ts';
import { EMULATOR_DYNAMODB_TIMEOUT_MS, type Emulators, startEmulators } from './emulator.ts';
import { type ApiServer, type ApiServerOptions, startApiServer } from './server.ts';

export interface LocalStack {
  readonly apiUrl: string;
  /** `ws://` URL of live progress. */
  readonly liveUrl: string | undefined;
  /** Where S3 and DynamoDB answer, and what runs S3 ('configured' when the endpoint was given). */
  readonly storage: Omit<Emulators, 'stop'>;
  stop(): Promise<void>;
}

/**
 * The embedded emulators (S3 on LocalStack, DynamoDB on moto; each unless its endpoint is
 * configured), the bucket and table, and the API server. Everything it needs is read from and
 * written to process.env, as Lambda would see it.
 */
export async function startLocalStack(
  options: {
    port: number;
    log?: (line: string) => void;
    /** Falls back to moto for S3 when LocalStack cannot run (never under CI). */
    allowMotoS3?: boolean;
  } & Pick<ApiServerOptions, 'logFormat' | 'onRequest' | 'print'>,
): Promise<LocalStack> {
  const env = process.env;
  env.UPLOADS_TABLE ??= 'uploads-local';
  env.UPLOADS_BUCKET ??= 'uploads-local';
  env.AWS_REGION ??= 'us-east-1';
  const emulators = await startEmulators({
    ...(options.log ? { log: options.log } : {}),
    ...(options.allowMotoS3 ? { allowMotoS3: true } : {}),
  });
  env.AWS_ENDPOINT_URL_S3 = emulators.s3Endpoint;
  env.AWS_ENDPOINT_URL_DYNAMODB = emulators.dynamodbEndpoint;
  env.DYNAMODB_TIMEOUT_MS ??= EMULATOR_DYNAMODB_TIMEOUT_MS;
  env.AWS_ACCESS_KEY_ID ??= 'test';
  env.AWS_SECRET_ACCESS_KEY ??= 'test';
  const endpoints = serviceEndpoints(env);
  let server: ApiServer | undefined;
  try {
    await ensureBucket(
      createS3Client({ region: env.AWS_REGION, endpoint: endpoints.s3 }),
      env.UPLOADS_BUCKET,
    );
    await ensureTable(
      new DynamoDBClient({ region: env.AWS_REGION, endpoint: endpoints.dynamodb }),
      env.UPLOADS_TABLE,
    );
    server = await startApiServer({
      port: options.port,
      ...(options.logFormat ? { logFormat: options.logFormat } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      ...(options.print ? { print: options.print } : {}),
    });
  } catch (error) {
    await emulators.stop();
    throw error;
  }
  const api = server;
  return {
    apiUrl: api.url,
    liveUrl: api.liveUrl,
    storage: emulators,
    stop: async () => {
      await api.close();
      await emulators.stop();
    },
  };
}
