import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { userIdOf } from '../../../src/domain/user-id.ts';

describe('userIdOf', () => {
  it('keeps an ordinary sub as it is', () => {
    // Act & Assess
    for (const sub of ['alice', 'auth0|5f7c8ec7c33c6c004bbafe82', 'ユーザー', 'a.b@example.com'])
      expect(userIdOf(sub)).toBe(sub);
  });

  it('hashes a sub DynamoDB cannot hold: too long, or with a lone surrogate', () => {
    // Act
    const long = userIdOf('é'.repeat(2000));
    const lone = userIdOf('\uD800');

    // Assess
    for (const id of [long, lone]) {
      expect(id).toMatch(/^sub-sha256:[0-9a-f]{64}$/);
      expect(id.isWellFormed()).toBe(true);
    }
    expect(long).not.toBe(lone);
    expect(userIdOf('\uDC00')).not.toBe(lone);
  });

  it('hashes a sub that looks hashed, so it cannot pose as the user it imitates', () => {
    // Prepare
    const hashed = userIdOf('\uD800');

    // Act & Assess
    expect(userIdOf(hashed)).not.toBe(hashed);
    expect(userIdOf(hashed)).toMatch(/^sub-sha256:[0-9a-f]{64}$/);
  });

  it('is deterministic, fits a key, and keeps distinct subs distinct', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 3000 }),
        fc.string({ maxLength: 3000 }),
        (a, b) => {
          expect(userIdOf(a)).toBe(userIdOf(a));
          expect(Buffer.byteLength(userIdOf(a), 'utf8')).toBeLessThanOrEqual(512);
          if (a !== b) expect(userIdOf(a)).not.toBe(userIdOf(b));
        },
      ),
    );
  });
});
