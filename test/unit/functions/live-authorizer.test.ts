import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier, tokenOf } from '../../../functions/live-authorizer.ts';

const ISSUER = 'https://login.example.com/';
const AUDIENCE = ['upload-api'];

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let signingKey: Key;
let otherKey: Key;
let publicJwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
  otherKey = (await generateKeyPair('RS256')).privateKey;
});

async function token(
  claims: JWTPayload = {},
  options: { key?: Key; issuer?: string; expiresIn?: string | number; kid?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({ aud: AUDIENCE[0], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'key-1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setIssuedAt();
  if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn);
  else jwt.setExpirationTime('5m');
  if (!('sub' in claims)) jwt.setSubject('alice');
  return jwt.sign(options.key ?? signingKey);
}

const verifier = () =>
  createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: createLocalJWKSet({ keys: [publicJwk] }),
  });

describe('createTokenVerifier', () => {
  it('accepts a token of the issuer for an accepted audience, as its user', async () => {
    expect(await verifier()(await token())).toMatchObject({
      ok: true,
      userId: 'alice',
      claims: { sub: 'alice' },
    });
  });

  it('accepts a Cognito access token, whose audience is its client_id', async () => {
    const accessToken = await token({
      aud: undefined,
      client_id: 'upload-api',
      token_use: 'access',
    });
    expect(await verifier()(accessToken)).toMatchObject({
      ok: true,
      userId: 'alice',
      claims: { sub: 'alice' },
    });
  });

  it.each<[string, () => Promise<string>, string]>([
    [
      'an expired token',
      () => token({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
      'ERR_JWT_EXPIRED',
    ],
    [
      'another issuer',
      () => token({}, { issuer: 'https://evil.example.com/' }),
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
    ],
    ['another audience', () => token({ aud: 'someone-else' }), 'audience not accepted'],
    [
      'a token signed by another key',
      () => token({}, { key: otherKey }),
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    ],
    ['an unknown key id', () => token({}, { kid: 'key-2' }), 'ERR_JWKS_NO_MATCHING_KEY'],
    ['a token without subject', () => token({ sub: undefined }), 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['garbage', async () => 'not-a-jwt', 'ERR_JWS_INVALID'],
  ])('refuses %s', async (_, make, reason) => {
    expect(await verifier()(await make())).toEqual({ ok: false, reason });
  });

  it('refuses an HMAC token even when its secret is the public key (no algorithm confusion)', async () => {
    const hmac = await new SignJWT({ aud: 'upload-api', sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
      .setIssuer(ISSUER)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    const result = await verifier()(hmac);
    expect(result.ok).toBe(false);
  });
});

describe('tokenOf', () => {
  const event = (headers: Record<string, string> | null, query: Record<string, string> | null) => ({
    headers,
    queryStringParameters: query,
  });

  it('reads the Authorization header in any case, else the token query parameter', () => {
    expect(tokenOf(event({ Authorization: 'Bearer abc' }, null))).toBe('abc');
    expect(tokenOf(event({ authorization: 'bearer abc' }, { token: 'xyz' }))).toBe('abc');
    expect(tokenOf(event({}, { token: 'xyz' }))).toBe('xyz');
    expect(tokenOf(event({ Authorization: 'Basic abc' }, null))).toBeUndefined();
    expect(tokenOf(event(null, { token: '' }))).toBeUndefined();
  });
});

describe('the $connect authorizer', () => {
  let server: Server;
  let issuer: string;
  let handler: (event: APIGatewayRequestAuthorizerEvent) => Promise<unknown>;
  const lines: string[] = [];

  beforeAll(async () => {
    // A local OIDC issuer: discovery document and JWKS.
    server = createServer((request, response) => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const body =
        request.url === '/.well-known/openid-configuration'
          ? { issuer: base, jwks_uri: `${base}/jwks` }
          : request.url === '/jwks'
            ? { keys: [publicJwk] }
            : undefined;
      response.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? {}));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    Object.assign(process.env, {
      LIVE_JWT_ISSUER: issuer,
      LIVE_JWT_AUDIENCE: 'web, upload-api',
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    for (const level of ['info', 'warn', 'error', 'debug', 'log'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(' '));
      });
    }
    vi.resetModules();
    handler = (await import('../../../functions/live-authorizer.ts')).handler;
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const connectEvent = (
    headers: Record<string, string>,
    query: Record<string, string> | null = null,
  ): APIGatewayRequestAuthorizerEvent =>
    ({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/live/$connect',
      headers,
      queryStringParameters: query,
    }) as unknown as APIGatewayRequestAuthorizerEvent;

  it('allows $connect with a good token from the query string, naming the user', async () => {
    const good = await token({}, { issuer });
    const result = await handler(connectEvent({}, { token: good }));
    expect(result).toEqual({
      principalId: 'alice',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/live/$connect',
          },
        ],
      },
      context: { userId: 'alice' },
    });
  });

  it('refuses a missing, expired or foreign token as Unauthorized (401), logging no token', async () => {
    const expired = await token({}, { issuer, expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const foreign = await token({}, { issuer, key: otherKey });
    await expect(handler(connectEvent({}))).rejects.toThrow(/^Unauthorized$/);
    await expect(handler(connectEvent({ Authorization: `Bearer ${expired}` }))).rejects.toThrow(
      /^Unauthorized$/,
    );
    await expect(handler(connectEvent({}, { token: foreign }))).rejects.toThrow(/^Unauthorized$/);
    const logged = lines.join('\n');
    expect(logged).toContain('ERR_JWT_EXPIRED');
    for (const secret of [expired, foreign]) {
      expect(logged).not.toContain(secret);
      expect(logged).not.toContain(secret.split('.')[2] as string);
    }
  });
});
