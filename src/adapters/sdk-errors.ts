import { StorageUnavailableError, UploadGoneError } from '../domain/errors.ts';

const TRANSIENT_NAMES = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'ThrottlingException',
  'TimeoutError',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'LimitExceededException',
  // A write that collided with a transaction on the same item: retrying it is safe.
  'TransactionConflictException',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface SdkLikeError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  CancellationReasons?: { Code?: string }[];
}

/** True for failures a retry may fix: throttling, 5xx, timeouts and dropped connections. */
export function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as SdkLikeError;
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    status >= 500 ||
    status === 429 ||
    e.$retryable !== undefined ||
    TRANSIENT_NAMES.has(e.name ?? '') ||
    NETWORK_CODES.has(e.code ?? '') ||
    // A transaction DynamoDB cancelled because it throttled an item, not because a condition failed.
    (e.CancellationReasons?.some((reason) => reason.Code === 'ThrottlingError') ?? false)
  );
}

/** Translates DynamoDB SDK errors into domain errors; anything unexpected is rethrown as is. */
export function translateDynamoError(error: unknown): never {
  if (isTransient(error)) throw new StorageUnavailableError('DynamoDB', { cause: error });
  throw error;
}

/** Translates S3 SDK errors into domain errors; anything unexpected is rethrown as is. */
export function translateS3Error(error: unknown): never {
  const name = (error as SdkLikeError | undefined)?.name;
  if (name === 'NoSuchUpload')
    throw new UploadGoneError('The multipart upload no longer exists', { cause: error });
  if (isTransient(error)) throw new StorageUnavailableError('S3', { cause: error });
  throw error;
}
