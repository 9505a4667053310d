import { describe, expect, it } from 'vitest';
import {
  type FetchLike,
  type TokenProvider,
  type TokenRequest,
  UploadApiClient,
} from '../../../client/sdk/api.ts';
import { UploadApiError } from '../../../client/sdk/errors.ts';

const ok = (data: unknown) =>
  new Response(JSON.stringify({ success: true, data }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
/** API Gateway's JWT authorizer answer. */
const gatewayUnauthorized = () =>
  new Response(JSON.stringify({ message: 'Unauthorized' }), { status: 401 });
const envelopeUnauthorized = () =>
  new Response(
    JSON.stringify({ success: false, error: { code: 'UNAUTHORIZED', message: 'Missing token' } }),
    { status: 401 },
  );

/** A fake fetch answering with `answers` in turn, recording each request's bearer token. */
function fakeFetch(answers: Array<() => Response>) {
  const tokens: string[] = [];
  const fetch: FetchLike = async (_url, init) => {
    const headers = new Headers(init?.headers);
    tokens.push(headers.get('authorization')?.replace(/^Bearer /, '') ?? '');
    const answer = answers.shift();
    if (!answer) throw new Error('unexpected request');
    return answer();
  };
  return { fetch, tokens };
}

/** An unsigned JWT with this `exp` (seconds); the client only reads it. */
const jwt = (exp: number) =>
  ['{"alg":"none"}', JSON.stringify({ sub: 'alice', exp })]
    .map((part) => Buffer.from(part).toString('base64url'))
    .concat('sig')
    .join('.');

const client = (token: TokenProvider, fetch: FetchLike) =>
  new UploadApiClient({
    apiUrl: 'http://api.test',
    token,
    fetch,
    retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 1 },
  });

async function failure(promise: Promise<unknown>): Promise<UploadApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UploadApiError);
  return error as UploadApiError;
}

describe('UploadApiClient after a 401', () => {
  it('asks the token function again with forceRefresh and sends the request once more', async () => {
    // Prepare
    const { fetch, tokens } = fakeFetch([gatewayUnauthorized, () => ok({ id: 'u1' })]);
    const requests: Array<TokenRequest | undefined> = [];
    let n = 0;
    const token = async (request?: TokenRequest) => {
      requests.push(request);
      return `token-${++n}`;
    };
    // Act
    const session = await client(token, fetch).get('u1');
    // Assess
    expect(session).toEqual({ id: 'u1' });
    expect(tokens).toEqual(['token-1', 'token-2']);
    expect(requests).toEqual([undefined, { forceRefresh: true, rejectedToken: 'token-1' }]);
  });

  it('fails with UNAUTHORIZED on a second 401, without retrying further', async () => {
    const { fetch, tokens } = fakeFetch([gatewayUnauthorized, gatewayUnauthorized, () => ok({})]);
    let n = 0;
    const error = await failure(client(async () => `token-${++n}`, fetch).get('u1'));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.status).toBe(401);
    expect(error.message).toBe('Unauthorized: the server refused the bearer token');
    expect(tokens).toEqual(['token-1', 'token-2']);
  });

  it('fails at once for a fixed token (asking again cannot help)', async () => {
    const { fetch, tokens } = fakeFetch([gatewayUnauthorized, () => ok({})]);
    const error = await failure(client('fixed', fetch).get('u1'));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(tokens).toEqual(['fixed']);
  });

  it('says when the refused token is a JWT that has expired', async () => {
    const expired = jwt(Math.floor(Date.parse('2024-05-01T10:00:00Z') / 1000));
    const { fetch } = fakeFetch([gatewayUnauthorized, gatewayUnauthorized]);
    const error = await failure(client(async () => expired, fetch).get('u1'));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toBe(
      'Unauthorized: the bearer token expired at 2024-05-01T10:00:00.000Z',
    );
  });

  it("keeps the server's own UNAUTHORIZED message for a token that has not expired", async () => {
    const valid = jwt(Math.floor(Date.now() / 1000) + 3600);
    const { fetch } = fakeFetch([envelopeUnauthorized]);
    const error = await failure(client(valid, fetch).get('u1'));
    expect(error.message).toBe('Missing token');
  });

  it('does not count the second try against retries, nor force refreshes on later retries', async () => {
    const unavailable = () => new Response('{}', { status: 503 });
    const { fetch } = fakeFetch([
      gatewayUnauthorized,
      unavailable,
      unavailable,
      unavailable,
      () => ok({ id: 'u1' }),
    ]);
    const requests: Array<TokenRequest | undefined> = [];
    const token = (request?: TokenRequest) => {
      requests.push(request);
      return 't';
    };
    await expect(client(token, fetch).get('u1')).resolves.toEqual({ id: 'u1' });
    expect(requests.filter((r) => r?.forceRefresh)).toHaveLength(1);
    expect(requests).toHaveLength(5);
  });

  it('passes on a token function that fails with UNAUTHORIZED without retrying it', async () => {
    const { fetch } = fakeFetch([]);
    let calls = 0;
    const token = async () => {
      calls++;
      throw new UploadApiError('UNAUTHORIZED', 'Cognito refused the refresh token', 401);
    };
    const error = await failure(client(token, fetch).get('u1'));
    expect(error.message).toBe('Cognito refused the refresh token');
    expect(calls).toBe(1);
  });
});
