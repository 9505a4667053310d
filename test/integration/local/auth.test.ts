import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../../local/auth.ts';
import { ApiClient } from '../../support/api-client.ts';
import { type Harness, startHarness } from '../../support/harness.ts';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
});

const secret = () =>
  new TextEncoder().encode(
    process.env.LOCAL_JWT_SECRET ?? 'local-development-secret-not-for-production',
  );

/** Signed with the local secret, so only the claims and the algorithm can make it invalid. */
function token(alg: string, expiresIn?: string): Promise<string> {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setSubject('alice-auth')
    .setIssuer('upload-api-local')
    .setAudience('upload-api')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 3600);
  return (expiresIn === undefined ? jwt : jwt.setExpirationTime(expiresIn)).sign(secret());
}

const list = async (jwt: string) =>
  new ApiClient(harness.url, jwt).request('GET', '/uploads?status=all');

describe('the local JWT check, like the API Gateway authorizer', () => {
  it.each([
    ['no exp', () => token('HS256')],
    ['an HS384 signature', () => token('HS384', '1h')],
    ['an HS512 signature', () => token('HS512', '1h')],
    ['an expired exp', () => token('HS256', '-2 minutes')],
  ])('answers 401 UNAUTHORIZED for a token with %s', async (_case, make) => {
    // Act
    const answer = await list(await make());

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
  });

  it('answers 200 for a valid HS256 token with sub and exp', async () => {
    // Act
    const answers = await Promise.all([
      list(await token('HS256', '1h')),
      list(await issueToken('a')),
    ]);

    // Assess
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
  });
});
