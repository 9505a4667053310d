import { serviceEndpoints } from '../src/config.ts';
import { canRunLocalStack, startLocalStackS3 } from './localstack.ts';
import { startMoto } from './moto.ts';
import type { Log } from './python-venv.ts';

/**
 * DYNAMODB_TIMEOUT_MS against moto, which answers in ms when idle and in seconds while a loaded
 * machine keeps it waiting, where DynamoDB takes ms: the deployed 1 s made such moments 503s.
 */
export const EMULATOR_DYNAMODB_TIMEOUT_MS = '5000';

export { PrerequisiteError } from './python-venv.ts';

export type S3Engine = 'localstack' | 'moto' | 'configured';

export interface Emulators {
  readonly s3Endpoint: string;
  readonly dynamodbEndpoint: string;
  readonly s3Engine: S3Engine;
  /** What the S3 in use does not enforce, when it is laxer than S3 (moto). */
  readonly s3Warning?: string;
  stop(): Promise<void>;
}

export const MOTO_S3_WARNING =
  'S3 runs on moto (no Python >= 3.13 for LocalStack): presigned-URL signatures, signed content-length, checksums and URL expiry are NOT enforced';

/**
 * S3 on LocalStack and DynamoDB on moto, each unless its endpoint is configured. With
 * `allowMotoS3`, a machine without Python >= 3.13 gets S3 on moto instead (never under CI).
 */
export async function startEmulators(
  options: { allowMotoS3?: boolean; log?: Log; env?: NodeJS.ProcessEnv } = {},
): Promise<Emulators> {
  const env = options.env ?? process.env;
  const configured = serviceEndpoints(env);
  const log = options.log ? { log: options.log } : {};
  const fallBack = !configured.s3 && options.allowMotoS3 && !env.CI && !(await canRunLocalStack());
  const results = await Promise.allSettled([
    configured.s3 || fallBack ? undefined : startLocalStackS3(log),
    configured.dynamodb && !fallBack ? undefined : startMoto(log),
  ]);
  const started = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop()));
  };
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const [s3, moto] = results.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  const s3Endpoint = configured.s3 ?? s3?.endpoint ?? moto?.endpoint;
  const dynamodbEndpoint = configured.dynamodb ?? moto?.endpoint;
  if (!s3Endpoint || !dynamodbEndpoint) throw new Error('no endpoint for S3 or DynamoDB');
  const s3Engine: S3Engine = configured.s3 ? 'configured' : s3 ? 'localstack' : 'moto';
  return {
    s3Endpoint,
    dynamodbEndpoint,
    s3Engine,
    ...(s3Engine === 'moto' ? { s3Warning: MOTO_S3_WARNING } : {}),
    stop,
  };
}
