import { describe, expect, it } from 'vitest';
import { runLoad } from '../../../../bench/load/generator.ts';
import { isLoopbackUrl, NotLoopbackError } from '../../../../bench/load/loopback.ts';

describe('isLoopbackUrl', () => {
  it.each([
    'http://127.0.0.1:3000',
    'http://127.0.0.1:3000/api/v1',
    'http://127.255.10.20',
    'https://localhost:8443',
    'http://LOCALHOST',
    'http://[::1]:8080',
    'http://2130706433/', // the URL parser normalizes it to 127.0.0.1
  ])('accepts %s', (url) => {
    expect(isLoopbackUrl(url)).toBe(true);
  });

  it.each([
    'http://128.0.0.1',
    'http://10.0.0.1:3000',
    'http://0.0.0.0:3000',
    'http://[::2]',
    'http://[::]:3000',
    'https://api.example.com',
    'http://127.0.0.1.example.com',
    'http://localhost.example.com',
    'ftp://127.0.0.1',
    'file:///etc/passwd',
    'not a url',
  ])('refuses %s', (url) => {
    expect(isLoopbackUrl(url)).toBe(false);
  });
});

describe('runLoad', () => {
  it('refuses an API that is not on loopback before sending anything', async () => {
    let tokensAsked = 0;

    const run = runLoad({
      apiUrl: 'https://api.example.com',
      token: () => {
        tokensAsked++;
        return 'token';
      },
      users: 1,
      sessions: 1,
      parallelism: 1,
      fileSize: { min: 1, max: 1 },
      chunkSize: 5 * 1024 * 1024,
      deadlineMs: 1_000,
    });

    await expect(run).rejects.toBeInstanceOf(NotLoopbackError);
    expect(tokensAsked).toBe(0);
  });
});
