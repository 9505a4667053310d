import { describe, expect, it } from 'vitest';
import {
  isTransient,
  translateDynamoError,
  translateS3Error,
} from '../../../src/adapters/sdk-errors.ts';
import { StorageUnavailableError, UploadGoneError } from '../../../src/domain/errors.ts';

/** An error shaped like the AWS SDK's service exceptions. */
const sdkError = (name: string, httpStatusCode?: number) =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: httpStatusCode === undefined ? {} : { httpStatusCode },
  });

const networkError = (code: string) => Object.assign(new Error(`socket ${code}`), { code });

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but nothing was thrown');
}

describe('isTransient', () => {
  it.each([
    ['a 500', sdkError('InternalError', 500)],
    ['a 503 of any name', sdkError('Whatever', 503)],
    ['a 429', sdkError('TooManyRequests', 429)],
    ['throttling without a status', sdkError('ThrottlingException')],
    ['provisioned throughput exceeded', sdkError('ProvisionedThroughputExceededException', 400)],
    ['SlowDown', sdkError('SlowDown')],
    ['an SDK-marked retryable error', Object.assign(sdkError('X', 400), { $retryable: {} })],
    ['ECONNRESET', networkError('ECONNRESET')],
    ['ETIMEDOUT', networkError('ETIMEDOUT')],
    ['the SDK timeout (no status, no code)', sdkError('TimeoutError')],
    [
      'a transaction cancelled because an item throttled',
      Object.assign(sdkError('TransactionCanceledException', 400), {
        CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }],
      }),
    ],
  ])('is true for %s', (_label, error) => {
    // Act & Assess
    expect(isTransient(error)).toBe(true);
  });

  it.each([
    ['a 400', sdkError('ValidationException', 400)],
    ['a conditional check failure', sdkError('ConditionalCheckFailedException', 400)],
    [
      'a transaction cancelled by a condition',
      Object.assign(sdkError('TransactionCanceledException', 400), {
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      }),
    ],
    ['a 403', sdkError('AccessDenied', 403)],
    ['a 404', sdkError('NoSuchKey', 404)],
    ['a plain Error', new Error('boom')],
    ['null', null],
    ['a string', 'ECONNRESET'],
  ])('is false for %s', (_label, error) => {
    // Act & Assess
    expect(isTransient(error)).toBe(false);
  });
});

describe('translateS3Error', () => {
  it('turns NoSuchUpload into UploadGoneError keeping the cause', () => {
    // Prepare
    const original = sdkError('NoSuchUpload', 404);

    // Act
    const error = thrownBy(() => translateS3Error(original));

    // Assess
    expect(error).toBeInstanceOf(UploadGoneError);
    expect((error as Error).cause).toBe(original);
  });

  it.each([
    sdkError('ServiceUnavailable', 503),
    sdkError('SlowDown', 503),
    networkError('ECONNRESET'),
  ])('turns a transient failure ($name) into StorageUnavailableError for S3', (original) => {
    // Act
    const error = thrownBy(() => translateS3Error(original));

    // Assess
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as StorageUnavailableError).code).toBe('STORAGE_UNAVAILABLE');
    expect((error as StorageUnavailableError).service).toBe('S3');
    expect((error as Error).cause).toBe(original);
  });

  it.each([sdkError('AccessDenied', 403), sdkError('InvalidPart', 400), new Error('bug')])(
    'rethrows any other error ($name) unchanged',
    (original) => {
      // Act & Assess
      expect(thrownBy(() => translateS3Error(original))).toBe(original);
    },
  );
});

describe('translateDynamoError', () => {
  it.each([
    sdkError('ThrottlingException', 400),
    sdkError('InternalServerError', 500),
    sdkError('RequestLimitExceeded', 429),
    networkError('ECONNREFUSED'),
  ])('turns a transient failure ($name) into StorageUnavailableError for DynamoDB', (original) => {
    // Act
    const error = thrownBy(() => translateDynamoError(original));

    // Assess
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as StorageUnavailableError).service).toBe('DynamoDB');
    expect((error as Error).cause).toBe(original);
  });

  it.each([
    sdkError('ConditionalCheckFailedException', 400),
    sdkError('ResourceNotFoundException', 400),
    sdkError('NoSuchUpload', 404),
  ])('rethrows any other error ($name) unchanged', (original) => {
    // Act & Assess
    expect(thrownBy(() => translateDynamoError(original))).toBe(original);
  });
});
