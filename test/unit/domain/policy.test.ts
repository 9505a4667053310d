import { describe, expect, it } from 'vitest';
import { isContentTypeAllowed } from '../../../src/domain/policy.ts';

describe('isContentTypeAllowed', () => {
  it('matches an exact type and nothing else', () => {
    // Prepare
    const allowed = ['application/pdf'];

    // Act & Assess
    expect(isContentTypeAllowed('application/pdf', allowed)).toBe(true);
    expect(isContentTypeAllowed('application/pdfx', allowed)).toBe(false);
    expect(isContentTypeAllowed('application/json', allowed)).toBe(false);
  });

  it('matches every subtype of a family', () => {
    // Prepare
    const allowed = ['image/*'];

    // Act & Assess
    expect(isContentTypeAllowed('image/png', allowed)).toBe(true);
    expect(isContentTypeAllowed('image/svg+xml', allowed)).toBe(true);
    expect(isContentTypeAllowed('video/mp4', allowed)).toBe(false);
    expect(isContentTypeAllowed('imagex/png', allowed)).toBe(false);
  });

  it('allows anything for "*" and "*/*"', () => {
    // Act & Assess
    expect(isContentTypeAllowed('application/x-whatever', ['*'])).toBe(true);
    expect(isContentTypeAllowed('text/csv', ['*/*'])).toBe(true);
  });

  it('allows nothing for an empty list', () => {
    // Act & Assess
    expect(isContentTypeAllowed('text/plain', [])).toBe(false);
  });

  it('ignores parameters of the content type', () => {
    // Act & Assess
    expect(isContentTypeAllowed('text/plain; charset=utf-8', ['text/plain'])).toBe(true);
    expect(isContentTypeAllowed('text/plain;charset=utf-8', ['text/*'])).toBe(true);
    expect(isContentTypeAllowed('text/html; charset=utf-8', ['text/plain'])).toBe(false);
  });

  it('compares case-insensitively on both sides', () => {
    // Act & Assess
    expect(isContentTypeAllowed('Image/PNG', ['image/png'])).toBe(true);
    expect(isContentTypeAllowed('image/png', [' IMAGE/* '])).toBe(true);
  });

  it('allows when any pattern of several matches', () => {
    // Prepare
    const allowed = ['application/pdf', 'video/*'];

    // Act & Assess
    expect(isContentTypeAllowed('video/webm', allowed)).toBe(true);
    expect(isContentTypeAllowed('audio/mpeg', allowed)).toBe(false);
  });
});
