import { describe, expect, it } from 'vitest';
import { StorageUnavailableError, UploadError } from '../../../../src/domain/errors.ts';
import { errorMessage, parseClientMessage } from '../../../../src/domain/live/messages.ts';

describe('parseClientMessage', () => {
  it('reads subscribe and unsubscribe', () => {
    expect(parseClientMessage('{"action":"subscribe","sessionId":"abc-1"}')).toEqual({
      ok: true,
      message: { action: 'subscribe', sessionId: 'abc-1' },
    });
    expect(parseClientMessage('{"action":"unsubscribe","sessionId":"abc-1"}')).toMatchObject({
      ok: true,
    });
  });

  it.each([
    ['not JSON', 'subscribe abc'],
    ['not an object', '42'],
    ['no action', '{"sessionId":"abc"}'],
    ['an unknown action', '{"action":"watch","sessionId":"abc"}'],
    ['no session id', '{"action":"subscribe"}'],
    ['a session id that is no string', '{"action":"subscribe","sessionId":7}'],
    [
      'too long a message',
      JSON.stringify({ action: 'subscribe', sessionId: 'a', pad: 'x'.repeat(5000) }),
    ],
  ])('refuses %s as VALIDATION_ERROR', (_, raw) => {
    const parsed = parseClientMessage(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.code).toBe('VALIDATION_ERROR');
  });

  it('names the session of a malformed message when it is an id', () => {
    const parsed = parseClientMessage('{"action":"watch","sessionId":"abc"}');
    expect(parsed).toMatchObject({ ok: false, sessionId: 'abc' });
  });

  it('answers an id this API could never have issued as not found, as over HTTP', () => {
    const parsed = parseClientMessage('{"action":"subscribe","sessionId":"../etc"}');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.code).toBe('SESSION_NOT_FOUND');
  });
});

describe('errorMessage', () => {
  it('keeps the code and message of a contract error', () => {
    const error = new UploadError('SESSION_NOT_FOUND', 'Upload session not found');
    expect(errorMessage(error, 's1')).toEqual({
      type: 'error',
      sessionId: 's1',
      error: { code: 'SESSION_NOT_FOUND', message: 'Upload session not found' },
    });
    expect(errorMessage(new StorageUnavailableError('DynamoDB')).error.code).toBe(
      'STORAGE_UNAVAILABLE',
    );
  });

  it('reveals nothing of an unexpected error, nor echoes a session id it never issued', () => {
    expect(errorMessage(new Error('secret table name'), 'bad id!')).toEqual({
      type: 'error',
      error: { code: 'INTERNAL_ERROR', message: 'Internal server error' },
    });
  });
});
