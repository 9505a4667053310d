import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Points this process at a fresh table and bucket on the embedded emulator, whatever the shell
 * points at: every request of a benchmark stays on 127.0.0.1 and no real credentials are used.
 * Handler logs and metrics are silenced: one line per request would flood stdout.
 */
export function useEmbeddedEmulator(prefix: string): { table: string; bucket: string } {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  const env = process.env;
  for (const variable of [
    'AWS_ENDPOINT_URL',
    'AWS_ENDPOINT_URL_S3',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_PROFILE',
    'AWS_SESSION_TOKEN',
  ])
    delete env[variable];
  Object.assign(env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    UPLOADS_TABLE: name,
    UPLOADS_BUCKET: name,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  return { table: name, bucket: name };
}

const pinned = async (file: string, pkg: string): Promise<string> => {
  const pins = await readFile(join(ROOT, 'local', file), 'utf8');
  return new RegExp(`^${pkg}\\S*==(\\S+)`, 'm').exec(pins)?.[1] ?? '?';
};

/** The pinned emulator versions, for the report: `LocalStack x (S3), moto y (DynamoDB)`. */
export async function emulatorVersion(): Promise<string> {
  const localstack = await pinned('requirements-localstack.txt', 'localstack-core');
  const moto = await pinned('requirements-moto.txt', 'moto');
  return `LocalStack ${localstack} (S3), moto ${moto} (DynamoDB)`;
}
