import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  LOGIN_USAGE,
  loginCommand,
  logoutCommand,
  resolveTokenProvider,
  storedApiUrl,
} from '../../../client/cli/auth.ts';
import type { FetchLike } from '../../../client/sdk/api.ts';
import {
  credentialsPath,
  readCredentialsSync,
  removeCredentials,
  type StoredCredentials,
  storedCognitoTokenProvider,
  writeCredentials,
} from '../../../client/sdk/cognito-credentials.ts';
import {
  cognitoEndpoint,
  cognitoTokenProvider,
  regionOfUserPool,
} from '../../../client/sdk/cognito-token.ts';
import { UploadApiError } from '../../../client/sdk/errors.ts';

interface Call {
  readonly url: string;
  readonly target: string | null;
  readonly body: Record<string, unknown>;
}

/** A fake Cognito: answers InitiateAuth REFRESH_TOKEN_AUTH with `answer(n)` for the n-th call. */
function fakeCognito(answer: (n: number) => Response) {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    const headers = new Headers(init?.headers);
    calls.push({
      url,
      target: headers.get('x-amz-target'),
      body: JSON.parse(String(init?.body)) as Record<string, unknown>,
    });
    return answer(calls.length);
  };
  return { fetch, calls };
}

const tokens = (n: number, extra: Record<string, unknown> = {}) =>
  new Response(
    JSON.stringify({
      AuthenticationResult: { AccessToken: `access-${n}`, ExpiresIn: 3600, ...extra },
    }),
    { status: 200 },
  );
const refused = () =>
  new Response(
    JSON.stringify({
      __type: 'NotAuthorizedException',
      message: 'Refresh Token has been revoked',
    }),
    { status: 400 },
  );

const POOL = 'eu-west-1_AbC123';

const stored = (over: Partial<StoredCredentials> = {}): StoredCredentials => ({
  version: 1,
  provider: 'cognito',
  userPoolId: POOL,
  clientId: 'client-1',
  region: 'eu-west-1',
  username: 'alice@example.com',
  refreshToken: 'refresh-1',
  savedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('Cognito endpoints', () => {
  it('takes the region from the pool id, the endpoint from the environment', () => {
    expect(regionOfUserPool('us-gov-west-1_Xy9')).toBe('us-gov-west-1');
    expect(() => regionOfUserPool('not-a-pool')).toThrow('not a Cognito user pool id');
    expect(cognitoEndpoint('eu-west-1')).toBe('https://cognito-idp.eu-west-1.amazonaws.com/');
    expect(cognitoEndpoint('eu-west-1', { AWS_ENDPOINT_URL: 'http://all:1' })).toBe('http://all:1');
    expect(
      cognitoEndpoint('eu-west-1', {
        AWS_ENDPOINT_URL: 'http://all:1',
        AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: 'http://idp:2',
      }),
    ).toBe('http://idp:2');
  });
});

describe('cognitoTokenProvider', () => {
  it('refreshes with REFRESH_TOKEN_AUTH, caching the access token until near expiry', async () => {
    // Prepare
    const clock = { now: 0 };
    const { fetch, calls } = fakeCognito((n) => tokens(n));
    const token = cognitoTokenProvider({
      userPoolId: POOL,
      clientId: 'client-1',
      refreshToken: 'refresh-1',
      fetch,
      now: () => clock.now,
    });
    // Act
    const first = await Promise.all([token(), token()]);
    clock.now = 54 * 60_000;
    const cached = await token();
    clock.now = 55 * 60_000;
    const refreshed = await token();
    // Assess
    expect(first).toEqual(['access-1', 'access-1']);
    expect(cached).toBe('access-1');
    expect(refreshed).toBe('access-2');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toEqual({
      url: 'https://cognito-idp.eu-west-1.amazonaws.com/',
      target: 'AWSCognitoIdentityProviderService.InitiateAuth',
      body: {
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        ClientId: 'client-1',
        AuthParameters: { REFRESH_TOKEN: 'refresh-1' },
      },
    });
  });

  it('uses and reports a rotated refresh token', async () => {
    const { fetch, calls } = fakeCognito((n) =>
      tokens(n, n === 1 ? { RefreshToken: 'refresh-2' } : {}),
    );
    const rotated: string[] = [];
    const token = cognitoTokenProvider({
      userPoolId: POOL,
      clientId: 'client-1',
      refreshToken: 'refresh-1',
      fetch,
      onRefreshToken: (t) => {
        rotated.push(t);
      },
    });
    await token();
    await token({ forceRefresh: true });
    expect(rotated).toEqual(['refresh-2']);
    expect(
      calls.map((c) => (c.body.AuthParameters as Record<string, string>).REFRESH_TOKEN),
    ).toEqual(['refresh-1', 'refresh-2']);
  });

  it('turns a refused refresh token into UNAUTHORIZED (not retried by the client)', async () => {
    const { fetch } = fakeCognito(refused);
    const token = cognitoTokenProvider({
      userPoolId: POOL,
      clientId: 'client-1',
      refreshToken: 'revoked',
      fetch,
    });
    const error = await token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadApiError);
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect((error as Error).message).toContain(
      'NotAuthorizedException: Refresh Token has been revoked',
    );
  });

  it('reports a Cognito outage as a plain (retryable) error', async () => {
    const { fetch } = fakeCognito(
      () => new Response('{"__type":"InternalErrorException"}', { status: 500 }),
    );
    const token = cognitoTokenProvider({
      userPoolId: POOL,
      clientId: 'c',
      refreshToken: 'r',
      fetch,
    });
    const error = await token().catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(UploadApiError);
    expect((error as Error).message).toContain('InternalErrorException');
  });
});

describe('stored credentials', () => {
  it('are written 0600 in a new 0700 directory, read back, and removed', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'creds-')), 'nested');
    const path = join(dir, 'credentials.json');
    await writeCredentials(path, stored());
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(readCredentialsSync(path)).toEqual(stored());
    await writeCredentials(path, stored({ refreshToken: 'refresh-2' }));
    expect(readCredentialsSync(path)?.refreshToken).toBe('refresh-2');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await removeCredentials(path)).toBe(true);
    expect(await removeCredentials(path)).toBe(false);
    expect(readCredentialsSync(path)).toBeUndefined();
  });

  it('refuse a file that does not hold credentials', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'creds-')), 'credentials.json');
    await writeFile(path, '{"version":1}');
    expect(() => readCredentialsSync(path)).toThrow('does not hold upload-api credentials');
  });

  it('default to ~/.upload-api/credentials.json, or UPLOAD_API_CREDENTIALS', () => {
    expect(credentialsPath({})).toMatch(/\.upload-api\/credentials\.json$/);
    expect(credentialsPath({ UPLOAD_API_CREDENTIALS: '/x/c.json' })).toBe('/x/c.json');
  });

  it('give a token function that keeps a rotated refresh token in the file', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'creds-')), 'credentials.json');
    await writeCredentials(path, stored({ endpoint: 'http://emulator:1' }));
    const { fetch, calls } = fakeCognito((n) => tokens(n, { RefreshToken: 'refresh-9' }));
    const token = storedCognitoTokenProvider({ path, env: {}, fetch });
    expect(await token?.()).toBe('access-1');
    expect(calls[0]?.url).toBe('http://emulator:1');
    expect(readCredentialsSync(path)?.refreshToken).toBe('refresh-9');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(storedCognitoTokenProvider({ path: `${path}.absent`, env: {} })).toBeUndefined();
  });
});

describe('resolveTokenProvider', () => {
  it('prefers --token, --token-command, UPLOAD_API_TOKEN, UPLOAD_API_TOKEN_COMMAND, then login', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'creds-')), 'credentials.json');
    await writeCredentials(path, stored({ apiUrl: 'https://api.example.com' }));
    const env = { UPLOAD_API_TOKEN: 'env-token', UPLOAD_API_TOKEN_COMMAND: 'printf env-command' };
    const { fetch } = fakeCognito((n) => tokens(n));
    const resolve = async (
      flags: { token?: string; tokenCommand?: string },
      e: Record<string, string>,
    ) => {
      const provider = resolveTokenProvider({ flags, env: e, credentialsPath: path, fetch });
      return typeof provider === 'function' ? provider() : provider;
    };
    expect(await resolve({ token: 'flag', tokenCommand: 'printf x' }, env)).toBe('flag');
    expect(await resolve({ tokenCommand: 'printf flag-command' }, env)).toBe('flag-command');
    expect(await resolve({}, env)).toBe('env-token');
    expect(await resolve({}, { UPLOAD_API_TOKEN_COMMAND: 'printf env-command' })).toBe(
      'env-command',
    );
    expect(await resolve({}, {})).toBe('access-1');
    expect(
      resolveTokenProvider({ flags: {}, env: {}, credentialsPath: `${path}.absent` }),
    ).toBeUndefined();
    expect(storedApiUrl({}, path)).toBe('https://api.example.com');
    expect(await readFile(path, 'utf8')).not.toContain('access-1');
  });
});

describe('login and logout commands (no Cognito reached)', () => {
  /** The commands' I/O with captured output and `lines` as standard input. */
  function io(env: Record<string, string>, lines: string[] = []) {
    const out: string[] = [];
    const err: string[] = [];
    const stdin = new PassThrough();
    stdin.end(lines.map((line) => `${line}\n`).join(''));
    return {
      io: {
        stdin,
        stdout: { write: (text: string) => out.push(text) },
        stderr: { write: (text: string) => err.push(text) },
        env,
        signal: new AbortController().signal,
      },
      stdout: () => out.join(''),
      stderr: () => err.join(''),
    };
  }

  it('prints its usage, refuses unknown options and a missing user pool', async () => {
    const help = io({});
    expect(await loginCommand(['--help'], help.io)).toBe(0);
    expect(help.stdout()).toBe(`${LOGIN_USAGE}\n`);
    const bogus = io({});
    expect(await loginCommand(['--bogus'], bogus.io)).toBe(2);
    expect(bogus.stderr()).toMatch(/^error: .*--bogus/);
    const path = join(await mkdtemp(join(tmpdir(), 'creds-')), 'credentials.json');
    const noPool = io({ UPLOAD_API_CREDENTIALS: path });
    expect(await loginCommand([], noPool.io)).toBe(2);
    expect(noPool.stderr()).toContain('pass --user-pool-id and --client-id');
    const badPool = io({ UPLOAD_API_CREDENTIALS: path });
    expect(await loginCommand(['--user-pool-id', 'nope', '--client-id', 'c'], badPool.io)).toBe(2);
    expect(badPool.stderr()).toContain('not a Cognito user pool id: nope');
  });

  it('says which answer standard input lacked', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'creds-')), 'credentials.json');
    const run = io({
      UPLOAD_API_CREDENTIALS: path,
      UPLOAD_API_USER_POOL_ID: POOL,
      UPLOAD_API_CLIENT_ID: 'client-1',
    });
    expect(await loginCommand([], run.io)).toBe(1);
    expect(run.stderr()).toBe('Username: \nerror: no answer on standard input to "Username"\n');
  });

  it('logout without stored credentials says so', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'creds-')), 'credentials.json');
    const run = io({ UPLOAD_API_CREDENTIALS: path });
    expect(await logoutCommand([], run.io)).toBe(0);
    expect(run.stdout()).toBe(`not signed in (no ${path})\n`);
    expect(await logoutCommand(['extra'], io({}).io)).toBe(2);
  });
});
