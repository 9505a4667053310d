import * as z from 'zod';
import { MAX_CHUNK_SIZE, MIB, MIN_CHUNK_SIZE } from './domain/chunk-plan.ts';
import type { UploadPolicy } from './domain/policy.ts';

const TIB = 1024 * 1024 * MIB;

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const EnvSchema = z.object({
  UPLOADS_TABLE: z.string().min(1, 'UPLOADS_TABLE must name the DynamoDB table'),
  UPLOADS_BUCKET: z.string().min(1, 'UPLOADS_BUCKET must name the S3 bucket'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: z.url().optional(),
  AWS_ENDPOINT_URL_S3: z.url().optional(),
  AWS_ENDPOINT_URL_DYNAMODB: z.url().optional(),
  DEFAULT_CHUNK_SIZE: z.coerce
    .number()
    .int()
    .min(MIN_CHUNK_SIZE)
    .max(MAX_CHUNK_SIZE)
    .default(5 * MIB),
  MAX_FILE_SIZE: z.coerce
    .number()
    .int()
    .positive()
    .default(5 * TIB),
  SESSION_TTL_SECONDS: seconds(24 * 3600),
  URL_EXPIRY_SECONDS: seconds(15 * 60),
  DOWNLOAD_URL_EXPIRY_SECONDS: seconds(15 * 60),
  MAX_ACTIVE_UPLOADS_PER_USER: z.coerce.number().int().positive().default(20),
  ALLOWED_CONTENT_TYPES: z.string().default('*'),
  COMPLETION_WAIT_MS: z.coerce.number().int().nonnegative().default(10_000),
  COMPLETION_STALE_SECONDS: seconds(120),
  // Unset: uploaded files are kept until deleted.
  UPLOADED_RETENTION_SECONDS: z.coerce.number().int().positive().optional(),
  CORS_ALLOWED_ORIGINS: z.string().default('*'),
  // DynamoDB answers in milliseconds; an emulator on a busy machine can take seconds.
  DYNAMODB_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
});

export interface AppConfig {
  readonly tableName: string;
  readonly bucketName: string;
  readonly region: string;
  /** Set for LocalStack, moto or any S3/DynamoDB-compatible endpoint; unset for real AWS. */
  readonly endpoints: ServiceEndpoints;
  readonly corsAllowedOrigins: readonly string[];
  /** Silence after which a DynamoDB call is given up and retried (the SDK's socket timeout). */
  readonly dynamodbTimeoutMs: number;
  readonly policy: UploadPolicy;
}

export interface ServiceEndpoints {
  readonly s3: string | undefined;
  readonly dynamodb: string | undefined;
}

/** As the AWS SDKs resolve them: the service's own variable first, then AWS_ENDPOINT_URL. */
export function serviceEndpoints(env: {
  AWS_ENDPOINT_URL?: string | undefined;
  AWS_ENDPOINT_URL_S3?: string | undefined;
  AWS_ENDPOINT_URL_DYNAMODB?: string | undefined;
}): ServiceEndpoints {
  return {
    s3: env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined,
    dynamodb: env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || undefined,
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates the environment once; fails fast naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    tableName: e.UPLOADS_TABLE,
    bucketName: e.UPLOADS_BUCKET,
    region: e.AWS_REGION,
    endpoints: serviceEndpoints(e),
    corsAllowedOrigins: list(e.CORS_ALLOWED_ORIGINS),
    dynamodbTimeoutMs: e.DYNAMODB_TIMEOUT_MS,
    policy: {
      defaultChunkSize: e.DEFAULT_CHUNK_SIZE,
      maxFileSize: e.MAX_FILE_SIZE,
      sessionTtlSeconds: e.SESSION_TTL_SECONDS,
      urlExpirySeconds: e.URL_EXPIRY_SECONDS,
      downloadUrlExpirySeconds: e.DOWNLOAD_URL_EXPIRY_SECONDS,
      maxLiveSessionsPerUser: e.MAX_ACTIVE_UPLOADS_PER_USER,
      allowedContentTypes: list(e.ALLOWED_CONTENT_TYPES),
      completionWaitMs: e.COMPLETION_WAIT_MS,
      completionStaleSeconds: e.COMPLETION_STALE_SECONDS,
      uploadedRetentionSeconds: e.UPLOADED_RETENTION_SECONDS,
    },
  };
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
