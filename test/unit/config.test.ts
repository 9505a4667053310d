import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { thrown } from '../support/thrown.ts';

const required = { UPLOADS_TABLE: 'uploads', UPLOADS_BUCKET: 'uploads-bucket' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    // Act
    const config = loadConfig(required);

    // Assess
    expect(config.tableName).toBe('uploads');
    expect(config.bucketName).toBe('uploads-bucket');
    expect(config.region).toBe('us-east-1');
    expect(config.endpoints).toEqual({ s3: undefined, dynamodb: undefined });
    expect(config.corsAllowedOrigins).toEqual(['*']);
    expect(config.policy).toMatchObject({
      defaultChunkSize: 5 * 1024 * 1024,
      sessionTtlSeconds: 24 * 3600,
      urlExpirySeconds: 15 * 60,
      downloadUrlExpirySeconds: 15 * 60,
      maxLiveSessionsPerUser: 20,
      allowedContentTypes: ['*'],
    });
  });

  it('keeps uploaded files forever unless UPLOADED_RETENTION_SECONDS is set', () => {
    // Act
    const unset = loadConfig(required).policy;
    const set = loadConfig({ ...required, UPLOADED_RETENTION_SECONDS: '604800' }).policy;

    // Assess
    expect(unset.uploadedRetentionSeconds).toBeUndefined();
    expect(set.uploadedRetentionSeconds).toBe(604_800);
  });

  it('reads numbers and comma-separated lists from strings', () => {
    // Act
    const config = loadConfig({
      ...required,
      DEFAULT_CHUNK_SIZE: '8388608',
      SESSION_TTL_SECONDS: '3600',
      MAX_ACTIVE_UPLOADS_PER_USER: '3',
      ALLOWED_CONTENT_TYPES: ' image/*, application/pdf ,, ',
      CORS_ALLOWED_ORIGINS: 'https://a.example,https://b.example',
      AWS_ENDPOINT_URL: 'http://localhost:5000',
    });

    // Assess
    expect(config.policy.defaultChunkSize).toBe(8_388_608);
    expect(config.policy.sessionTtlSeconds).toBe(3600);
    expect(config.policy.maxLiveSessionsPerUser).toBe(3);
    expect(config.policy.allowedContentTypes).toEqual(['image/*', 'application/pdf']);
    expect(config.corsAllowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.endpoints).toEqual({
      s3: 'http://localhost:5000',
      dynamodb: 'http://localhost:5000',
    });
  });

  it.each([
    [{ AWS_ENDPOINT_URL_S3: 'http://s3:1' }, { s3: 'http://s3:1', dynamodb: undefined }],
    [{ AWS_ENDPOINT_URL_DYNAMODB: 'http://db:2' }, { s3: undefined, dynamodb: 'http://db:2' }],
    [
      { AWS_ENDPOINT_URL: 'http://all:3', AWS_ENDPOINT_URL_S3: 'http://s3:1' },
      { s3: 'http://s3:1', dynamodb: 'http://all:3' },
    ],
  ])('prefers the per-service endpoint over AWS_ENDPOINT_URL (%j)', (env, endpoints) => {
    // Act & Assess
    expect(loadConfig({ ...required, ...env }).endpoints).toEqual(endpoints);
  });

  it('names a missing UPLOADS_TABLE', () => {
    // Act
    const error = thrown(ConfigError, () => loadConfig({ UPLOADS_BUCKET: 'b' }));

    // Assess
    expect(error.message).toContain('UPLOADS_TABLE');
    expect(error.message).not.toContain('UPLOADS_BUCKET');
  });

  it('names an empty UPLOADS_BUCKET', () => {
    // Act & Assess
    expect(
      thrown(ConfigError, () => loadConfig({ ...required, UPLOADS_BUCKET: '' })).message,
    ).toContain('UPLOADS_BUCKET');
  });

  it.each([
    ['DEFAULT_CHUNK_SIZE', 'abc'],
    ['SESSION_TTL_SECONDS', '1.5'],
    ['URL_EXPIRY_SECONDS', '0'],
    ['MAX_ACTIVE_UPLOADS_PER_USER', '-1'],
    ['AWS_ENDPOINT_URL', 'not a url'],
    ['AWS_ENDPOINT_URL_S3', 'not a url'],
    ['AWS_ENDPOINT_URL_DYNAMODB', 'not a url'],
    ['UPLOADED_RETENTION_SECONDS', '0'],
  ])('names a bad %s (%j)', (name, value) => {
    // Act
    const error = thrown(ConfigError, () => loadConfig({ ...required, [name]: value }));

    // Assess
    expect(error.message).toContain(`${name}:`);
  });

  it('names every bad variable at once', () => {
    // Act
    const error = thrown(ConfigError, () =>
      loadConfig({ UPLOADS_BUCKET: 'b', DEFAULT_CHUNK_SIZE: 'abc' }),
    );

    // Assess
    expect(error.message).toContain('UPLOADS_TABLE');
    expect(error.message).toContain('DEFAULT_CHUNK_SIZE');
  });
});
