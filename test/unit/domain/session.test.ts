import { describe, expect, it } from 'vitest';
import {
  effectiveStatus,
  epochSeconds,
  isExpired,
  isOpen,
  isoFromEpoch,
  type StoredStatus,
} from '../../../src/domain/session.ts';
import { aSession } from '../../support/session-fixture.ts';

const expiresAt = Date.parse('2026-01-02T12:00:00.000Z') / 1000;
const before = new Date('2026-01-02T11:59:59.999Z');
const at = new Date('2026-01-02T12:00:00.000Z');

describe('isExpired and effectiveStatus', () => {
  it.each<StoredStatus>(['initiated', 'uploading'])(
    'an open %s session expires at expiresAt',
    (status) => {
      // Prepare
      const session = aSession({ status, expiresAt });

      // Act & Assess
      expect(isExpired(session, before)).toBe(false);
      expect(effectiveStatus(session, before)).toBe(status);
      expect(isExpired(session, at)).toBe(true);
      expect(effectiveStatus(session, at)).toBe('expired');
      expect(isOpen(session, at)).toBe(false);
    },
  );

  it.each<StoredStatus>(['completing', 'uploaded', 'cancelled', 'failed'])(
    'a %s session never shows as expired',
    (status) => {
      // Prepare
      const session = aSession({ status, expiresAt });
      const muchLater = new Date('2030-01-01T00:00:00.000Z');

      // Act & Assess
      expect(isExpired(session, muchLater)).toBe(false);
      expect(effectiveStatus(session, muchLater)).toBe(status);
      expect(isOpen(session, before)).toBe(false);
    },
  );
});

describe('epoch conversions', () => {
  it('epochSeconds drops the milliseconds', () => {
    // Act & Assess
    expect(epochSeconds(new Date('2026-01-01T00:00:00.999Z'))).toBe(1_767_225_600);
  });

  it('isoFromEpoch gives an ISO-8601 UTC string', () => {
    // Act & Assess
    expect(isoFromEpoch(1_767_225_600)).toBe('2026-01-01T00:00:00.000Z');
  });

  it('round-trips a whole-second date', () => {
    // Prepare
    const date = new Date('2026-06-15T08:30:45.000Z');

    // Act & Assess
    expect(isoFromEpoch(epochSeconds(date))).toBe(date.toISOString());
  });
});
