import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  StorageUnavailableError,
  UploadError,
  UploadGoneError,
  WriteConflictError,
} from '../../../src/domain/errors.ts';
import { errorResponse, successResponse } from '../../../src/http/error-response.ts';
import { CONTRACT_STATUS } from '../../support/contract-errors.ts';

const bodyOf = (response: { body: string }) => JSON.parse(response.body);

describe('errorResponse', () => {
  it('knows exactly the codes of the contract', () => {
    // Act & Assess
    expect([...ERROR_CODES].sort()).toEqual(Object.keys(CONTRACT_STATUS).sort());
  });

  it.each(ERROR_CODES.filter((code) => code !== 'INTERNAL_ERROR'))(
    'answers %s with the contract status, code, message and details',
    (code) => {
      // Prepare
      const error = new UploadError(code, `about ${code}`, { chunkNumber: 3 });

      // Act
      const response = errorResponse(error);

      // Assess
      expect(response.statusCode).toBe(CONTRACT_STATUS[code]);
      expect(response.headers['content-type']).toBe('application/json');
      expect(bodyOf(response)).toEqual({
        success: false,
        error: { code, message: `about ${code}`, details: { chunkNumber: 3 } },
      });
    },
  );

  it('omits details when the error has none', () => {
    // Act
    const body = bodyOf(errorResponse(new UploadError('SESSION_NOT_FOUND', 'not found')));

    // Assess
    expect(body.error).toEqual({ code: 'SESSION_NOT_FOUND', message: 'not found' });
  });

  it.each([
    ['a plain Error', new Error('db password is hunter2')],
    ['an UploadGoneError', new UploadGoneError('upload xyz gone')],
    ['a WriteConflictError', new WriteConflictError('conflict on item 42')],
    ['a thrown string', 'secret string'],
    ['undefined', undefined],
    [
      'an INTERNAL_ERROR UploadError',
      new UploadError('INTERNAL_ERROR', 'RequestId ABC123', { table: 'secret' }),
    ],
  ])('answers %s with a generic 500 that leaks nothing', (_label, error) => {
    // Act
    const response = errorResponse(error);

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(bodyOf(response)).toEqual({
      success: false,
      error: { code: 'INTERNAL_ERROR', message: 'Internal server error' },
    });
    expect(response.body).not.toMatch(/hunter2|gone|42|secret|ABC123|at .*\.ts/);
  });

  it('answers a StorageUnavailableError with 503 and Retry-After, hiding its cause', () => {
    // Prepare
    const cause = Object.assign(new Error('ThrottlingException'), {
      $metadata: { requestId: 'R1' },
    });

    // Act
    const response = errorResponse(new StorageUnavailableError('DynamoDB', { cause }));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(bodyOf(response).error.code).toBe('STORAGE_UNAVAILABLE');
    expect(response.body).not.toMatch(/Throttling|R1|DynamoDB/);
  });

  it('sets Retry-After on COMPLETION_IN_PROGRESS', () => {
    // Act
    const response = errorResponse(new UploadError('COMPLETION_IN_PROGRESS', 'still running'));

    // Assess
    expect(response.statusCode).toBe(409);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  });

  it.each(['INVALID_STATE', 'VALIDATION_ERROR', 'TOO_MANY_ACTIVE_UPLOADS'] as const)(
    'sets no Retry-After on %s',
    (code) => {
      // Act & Assess
      expect(errorResponse(new UploadError(code, 'x')).headers['retry-after']).toBeUndefined();
    },
  );
});

describe('successResponse', () => {
  it('wraps data in the success envelope', () => {
    // Act
    const response = successResponse(201, { id: 's1' });

    // Assess
    expect(response.statusCode).toBe(201);
    expect(response.headers).toEqual({ 'content-type': 'application/json' });
    expect(bodyOf(response)).toEqual({ success: true, data: { id: 's1' } });
  });
});
