import { describe, expect, it } from 'vitest';
import { apiBaseUrl } from '../../../client/sdk/api.ts';
import { fingerprint } from '../../../client/sdk/fingerprint.ts';

const file = {
  apiUrl: 'http://127.0.0.1:3000',
  name: 'video.mp4',
  size: 1234,
  lastModified: 1_700_000_000_000,
};

describe('fingerprint', () => {
  it('is stable for the same file and API', () => {
    expect(fingerprint(file)).toBe(fingerprint({ ...file }));
    expect(fingerprint(file)).toBe(fingerprint({ ...file, apiUrl: 'http://127.0.0.1:3000/' }));
    expect(fingerprint(file)).toBe(
      fingerprint({ ...file, apiUrl: 'http://127.0.0.1:3000/api/v1' }),
    );
    expect(fingerprint(file)).toBe(fingerprint({ ...file, lastModified: 1_700_000_000_000.4 }));
  });

  it('changes with the API, name, size, modification time or content hash', () => {
    const keys = [
      fingerprint(file),
      fingerprint({ ...file, apiUrl: 'https://uploads.example.com' }),
      fingerprint({ ...file, name: 'video2.mp4' }),
      fingerprint({ ...file, size: 1235 }),
      fingerprint({ ...file, lastModified: 1_700_000_000_001 }),
      fingerprint({ ...file, lastModified: undefined }),
      fingerprint({ ...file, sha256: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('cannot be confused by separators in names', () => {
    expect(fingerprint({ ...file, name: 'a","b' })).not.toBe(fingerprint({ ...file, name: 'a' }));
  });
});

describe('apiBaseUrl', () => {
  it('appends /api/v1 to a server root once', () => {
    expect(apiBaseUrl('http://h:1')).toBe('http://h:1/api/v1');
    expect(apiBaseUrl('http://h:1/')).toBe('http://h:1/api/v1');
    expect(apiBaseUrl('https://h/prod/api/v1/')).toBe('https://h/prod/api/v1');
    expect(() => apiBaseUrl('h:1')).toThrow(TypeError);
  });
});
