import { describe, expect, it } from 'vitest';
import { decideExpiredSession, isTtlRemoval } from '../../../functions/commons/expired-sessions.ts';
import { sessionImage, streamRecord } from '../../support/dynamodb-stream.ts';

const session = {
  id: 'session-1',
  userId: 'alice',
  key: 'uploads/alice/file-1/video.mp4',
  uploadId: 'upload-1',
  status: 'uploading',
};

describe('decideExpiredSession', () => {
  it.each(['initiated', 'uploading', 'completing', 'failed', 'cancelled'])(
    'aborts the multipart upload of a %s session deleted by TTL',
    (status) => {
      // Prepare
      const record = streamRecord(sessionImage({ ...session, status }));

      // Act
      const decision = decideExpiredSession(record);

      // Assess
      expect(decision).toEqual({
        action: 'abort',
        session: {
          sessionId: 'session-1',
          userId: 'alice',
          status,
          key: 'uploads/alice/file-1/video.mp4',
          uploadId: 'upload-1',
        },
      });
    },
  );

  it.each(['uploaded', 'deleted'])(
    'deletes the object of a %s session whose record TTL deleted',
    (status) => {
      // Prepare
      const record = streamRecord(sessionImage({ ...session, status }));

      // Act
      const decision = decideExpiredSession(record);

      // Assess
      expect(decision).toEqual({
        action: 'delete-file',
        session: expect.objectContaining({ status, key: 'uploads/alice/file-1/video.mp4' }),
      });
    },
  );

  it('exposes no token of the item in the decision', () => {
    // Act
    const decision = decideExpiredSession(streamRecord(sessionImage(session)));

    // Assess
    expect(JSON.stringify(decision)).not.toContain('secret-completion-token');
  });

  it.each([
    ['a user or application delete (no userIdentity)', { userIdentity: null }],
    [
      'a delete by another principal',
      { userIdentity: { type: 'Service', principalId: 'lambda.amazonaws.com' } },
    ],
    [
      'a delete by a non-service identity',
      { userIdentity: { type: 'User', principalId: 'dynamodb.amazonaws.com' } },
    ],
    ['a MODIFY', { eventName: 'MODIFY' as const, userIdentity: null }],
    ['an INSERT', { eventName: 'INSERT' as const, userIdentity: null }],
  ])('skips %s', (_label, options) => {
    // Prepare
    const record = streamRecord(sessionImage(session), options);

    // Act
    const decision = decideExpiredSession(record);

    // Assess
    expect(decision).toEqual({ action: 'skip', reason: 'not-a-ttl-removal' });
  });

  it.each([
    [
      'live slots',
      { PK: { S: 'USER#alice' }, SK: { S: 'LIVE' }, version: { N: '3' }, sessions: { M: {} } },
    ],
    [
      'an idempotency key',
      { PK: { S: 'USER#alice' }, SK: { S: 'IDEMPOTENCY#k1' }, sessionId: { S: 'session-1' } },
    ],
    [
      'a file alias',
      { PK: { S: 'USER#alice' }, SK: { S: 'FILE#abc' }, sessionId: { S: 'session-1' } },
    ],
    ['a session-like item without entity', { ...sessionImage(session), entity: { S: 'other' } }],
  ])('skips the TTL deletion of %s', (_label, image) => {
    // Act
    const decision = decideExpiredSession(streamRecord(image));

    // Assess
    expect(decision).toEqual({ action: 'skip', reason: 'not-a-session' });
  });

  it('skips a TTL removal without an old image (a KEYS_ONLY stream)', () => {
    // Prepare
    const record = streamRecord(sessionImage(session));
    const { OldImage: _dropped, ...keysOnly } = record.dynamodb ?? {};

    // Act
    const decision = decideExpiredSession({ ...record, dynamodb: keysOnly });

    // Assess
    expect(decision).toEqual({ action: 'skip', reason: 'not-a-session' });
  });

  it('skips a session image without a multipart upload to abort', () => {
    // Prepare
    const { uploadId: _dropped, ...image } = sessionImage(session);

    // Act
    const decision = decideExpiredSession(streamRecord(image));

    // Assess
    expect(decision).toEqual({ action: 'skip', reason: 'unreadable-image' });
  });

  it('skips an image it cannot unmarshall instead of throwing (a retry could not fix it)', () => {
    // Prepare
    const image = { ...sessionImage(session), odd: { X: 'y' } } as unknown as ReturnType<
      typeof sessionImage
    >;

    // Act
    const decision = decideExpiredSession(streamRecord(image));

    // Assess
    expect(decision).toEqual({ action: 'skip', reason: 'unreadable-image' });
  });

  it('takes the session id from the key when the image has no id attribute', () => {
    // Prepare
    const { id: _dropped, ...image } = sessionImage(session);

    // Act
    const decision = decideExpiredSession(streamRecord(image));

    // Assess
    expect(decision.action === 'abort' && decision.session.sessionId).toBe('session-1');
  });
});

describe('isTtlRemoval', () => {
  it('needs REMOVE by the DynamoDB service principal', () => {
    // Prepare
    const image = sessionImage(session);

    // Act & Assess
    expect(isTtlRemoval(streamRecord(image))).toBe(true);
    expect(isTtlRemoval(streamRecord(image, { userIdentity: null }))).toBe(false);
  });
});
