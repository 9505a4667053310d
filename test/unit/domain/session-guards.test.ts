import { describe, expect, it } from 'vitest';
import { UploadError } from '../../../src/domain/errors.ts';
import type { StoredStatus } from '../../../src/domain/session.ts';
import { assertChunkNumber, assertOpen, stateError } from '../../../src/domain/session-guards.ts';
import { aSession } from '../../support/session-fixture.ts';
import { thrown } from '../../support/thrown.ts';

const now = new Date('2026-01-01T13:00:00.000Z');
const expiresAt = Date.parse('2026-01-02T12:00:00.000Z') / 1000;
const afterExpiry = new Date('2026-01-03T00:00:00.000Z');

describe('assertOpen', () => {
  it.each<StoredStatus>(['initiated', 'uploading'])(
    'lets an unexpired %s session pass',
    (status) => {
      // Act & Assess
      expect(() => assertOpen(aSession({ status, expiresAt }), now)).not.toThrow();
    },
  );

  it('rejects an open session past expiresAt with SESSION_EXPIRED', () => {
    // Act
    const error = thrown(UploadError, () =>
      assertOpen(aSession({ status: 'uploading', expiresAt }), afterExpiry),
    );

    // Assess
    expect(error.code).toBe('SESSION_EXPIRED');
    expect(error.details).toEqual({ expiresAt: '2026-01-02T12:00:00.000Z' });
  });

  it('rejects a cancelled session with SESSION_CANCELLED', () => {
    // Act
    const error = thrown(UploadError, () =>
      assertOpen(aSession({ status: 'cancelled', expiresAt }), now),
    );

    // Assess
    expect(error.code).toBe('SESSION_CANCELLED');
  });

  it.each<StoredStatus>(['uploaded', 'completing', 'failed'])(
    'rejects a %s session with INVALID_STATE naming the status',
    (status) => {
      // Act: long after expiresAt, which must not turn these into SESSION_EXPIRED.
      const error = thrown(UploadError, () =>
        assertOpen(aSession({ status, expiresAt }), afterExpiry),
      );

      // Assess
      expect(error.code).toBe('INVALID_STATE');
      expect(error.details).toEqual({ status });
    },
  );
});

describe('stateError', () => {
  it('adds the failure reason of a failed session', () => {
    // Act
    const error = stateError(aSession({ status: 'failed', error: 'size mismatch' }), now);

    // Assess
    expect(error.code).toBe('INVALID_STATE');
    expect(error.details).toEqual({ status: 'failed', error: 'size mismatch' });
  });
});

describe('assertChunkNumber', () => {
  const session = aSession({ totalChunks: 4 });

  it('accepts chunk numbers 0 to totalChunks - 1', () => {
    // Act & Assess
    expect(() => assertChunkNumber(session, 0, 'chunkNumber')).not.toThrow();
    expect(() => assertChunkNumber(session, 3, 'chunkNumber')).not.toThrow();
  });

  it('rejects totalChunks and above with a VALIDATION_ERROR naming the field', () => {
    // Act
    const error = thrown(UploadError, () => assertChunkNumber(session, 4, 'chunks[2].chunkNumber'));

    // Assess
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details).toEqual({
      fields: [{ field: 'chunks[2].chunkNumber', message: 'must be between 0 and 3' }],
    });
  });
});
