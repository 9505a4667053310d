/**
 * `upload-api login` against an emulated Cognito user pool: moto's cognito-idp (on the moto the
 * global setup starts, which serves every service on one endpoint), configured like
 * infra/upload-auth.ts: e-mail user names, the same password policy, MFA required with TOTP, an
 * app client without secret allowing only USER_SRP_AUTH and REFRESH_TOKEN_AUTH.
 *
 * What moto 5.2.5 checks and what it does not, and what this test adds:
 * - moto does NOT run SRP: its InitiateAuth answers a random SRP_B and SALT, and its
 *   PASSWORD_VERIFIER accepts any PASSWORD_CLAIM_SIGNATURE, so any password signs in. The
 *   `srpVerifier` below sits between the CLI and moto and does Cognito's server half of SRP
 *   (RFC 5054 3072-bit group, Cognito's HKDF and claim signature) for the user's current password,
 *   written here from the protocol, not from the client library: a wrong password is refused, and
 *   a right one passes only if the CLI's SRP math is Cognito's.
 * - moto's NEW_PASSWORD_REQUIRED challenge lacks the `userAttributes` / `requiredAttributes`
 *   parameters Cognito sends (the client library needs them); the verifier adds them, and gives
 *   MFAS_CAN_SETUP as Cognito's JSON string.
 * - moto DOES check a new password against the pool's password policy.
 * - moto checks TOTP codes (VerifySoftwareToken, SOFTWARE_TOKEN_MFA) only with
 *   MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true (set by local/moto.ts), against a fixed secret
 *   that AssociateSoftwareToken returns, in the current 30 s step only. The codes here are
 *   computed (RFC 6238) from the secret the CLI prints, and a wrong code is refused.
 * - moto does not check a token's expiry or signature at GetUser, only that it issued it; it
 *   has no RevokeToken (logout's revocation fails there and the CLI says so).
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveTokenProvider } from '../../client/cli/auth.ts';
import { buildCli } from '../../client/cli/build.ts';
import { type TokenProvider, UploadApiClient } from '../../client/sdk/api.ts';
import { cognitoCall } from '../../client/sdk/cognito-token.ts';
import { jwtExpiry } from '../../client/sdk/token-jwt.ts';
import { repoRoot } from './cli-runner.ts';

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits) from a base32 secret

function base32(secret: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secret.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${secret}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((byte) => Number.parseInt(byte, 2)));
}

function totp(secret: string, seconds = Date.now() / 1000, digits = 6): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = (mac.at(-1) as number) & 0xf;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(code).padStart(digits, '0');
}

/** A code for the current step with at least 3 s of it left (moto accepts no other step). */
async function freshTotp(secret: string): Promise<string> {
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < 3) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 100));
  return totp(secret);
}

// ---------------------------------------------------------------------------------------------
// Cognito's server half of SRP, in front of moto

const N = BigInt(
  `0x${[
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD',
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED',
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F',
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B',
    'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510',
    '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7',
    'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C',
    'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF',
  ].join('')}`,
);
const g = 2n;

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/** A positive integer as bytes, with a leading 0 byte when its top bit is set (as Java does). */
function bytesOf(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (/^[89a-f]/i.test(hex)) hex = `00${hex}`;
  return Buffer.from(hex, 'hex');
}

const sha256 = (...parts: (Buffer | string)[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const toInt = (bytes: Buffer) => BigInt(`0x${bytes.toString('hex')}`);
const k = toInt(sha256(bytesOf(N), bytesOf(g)));

interface SrpSession {
  readonly motoSession: string;
  readonly userIdForSrp: string;
  readonly verifier: bigint;
  readonly A: bigint;
  readonly b: bigint;
  readonly B: bigint;
}

type Json = Record<string, unknown>;
interface Answer {
  readonly status: number;
  readonly answer: Json;
  /** moto's answer when it was not JSON. */
  readonly raw?: string;
}

/**
 * An HTTP proxy to moto's cognito-idp that verifies SRP as Cognito does. It knows each user's
 * password (by the name they sign in with), as Cognito knows its verifier, and learns a new one
 * when moto accepts a NEW_PASSWORD_REQUIRED answer.
 */
class SrpVerifier {
  readonly passwords = new Map<string, string>();
  private readonly sessions = new Map<string, SrpSession>();
  private readonly names = new Map<string, string>(); // USER_ID_FOR_SRP -> sign-in name
  private server: Server | undefined;
  endpoint = '';

  constructor(
    private readonly moto: string,
    private readonly poolName: string,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (text: string) => (body += text));
      request.on('end', () => {
        const target = String(request.headers['x-amz-target'] ?? '');
        this.handle(target, JSON.parse(body || '{}') as Json).then(
          ({ status, answer, raw }) => {
            response.writeHead(status, {
              'content-type': raw === undefined ? 'application/x-amz-json-1.1' : 'text/html',
            });
            response.end(raw ?? JSON.stringify(answer));
          },
          (error: unknown) => {
            response.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
            response.end(
              JSON.stringify({ __type: 'InternalErrorException', message: String(error) }),
            );
          },
        );
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.close();
    await once(this.server, 'close');
  }

  /** Sends the call on to moto; an answer that is not JSON (moto's 500 page) stays as it is. */
  private async forward(target: string, body: Json): Promise<Answer> {
    const response = await fetch(this.moto, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    try {
      return { status: response.status, answer: text ? (JSON.parse(text) as Json) : {} };
    } catch {
      return { status: response.status, answer: {}, raw: text };
    }
  }

  private async handle(target: string, body: Json): Promise<Answer> {
    const operation = target.split('.').pop();
    const parameters = (body.AuthParameters ?? {}) as Record<string, string>;
    const responses = (body.ChallengeResponses ?? {}) as Record<string, string>;
    if (operation === 'InitiateAuth' && body.AuthFlow === 'USER_SRP_AUTH')
      return this.initiate(target, body, parameters);
    if (operation === 'RespondToAuthChallenge' && body.ChallengeName === 'PASSWORD_VERIFIER')
      return this.verify(target, body, responses);
    const result = await this.forward(target, body);
    if (
      operation === 'RespondToAuthChallenge' &&
      body.ChallengeName === 'NEW_PASSWORD_REQUIRED' &&
      result.status === 200
    ) {
      const name = this.names.get(responses.USERNAME ?? '');
      if (name && responses.NEW_PASSWORD) this.passwords.set(name, responses.NEW_PASSWORD);
    }
    return this.completeChallenge(result);
  }

  private async initiate(target: string, body: Json, parameters: Record<string, string>) {
    const name = parameters.USERNAME ?? '';
    const A = BigInt(`0x${parameters.SRP_A ?? '0'}`);
    if (A % N === 0n) return refusal('InvalidParameterException', 'SRP_A is invalid');
    const result = await this.forward(target, body);
    if (result.status !== 200) return result;
    const challenge = result.answer.ChallengeParameters as Record<string, string>;
    const password = this.passwords.get(name);
    if (password === undefined) throw new Error(`no password known for ${name}`);
    const userIdForSrp = challenge.USER_ID_FOR_SRP as string;
    this.names.set(userIdForSrp, name);
    const salt = randomBytes(16);
    const inner = sha256(`${this.poolName}${userIdForSrp}:${password}`).toString('hex');
    const x = toInt(sha256(bytesOf(toInt(salt)), Buffer.from(inner, 'hex')));
    const verifier = modPow(g, x, N);
    const b = toInt(randomBytes(32));
    const B = (k * verifier + modPow(g, b, N)) % N;
    const motoSession = challenge.SECRET_BLOCK as string;
    const secretBlock = Buffer.from(`secret-block:${motoSession}`).toString('base64');
    this.sessions.set(secretBlock, { motoSession, userIdForSrp, verifier, A, b, B });
    challenge.SALT = salt.toString('hex');
    challenge.SRP_B = B.toString(16);
    challenge.SECRET_BLOCK = secretBlock;
    return result;
  }

  private async verify(target: string, body: Json, responses: Record<string, string>) {
    const secretBlock = responses.PASSWORD_CLAIM_SECRET_BLOCK ?? '';
    const session = this.sessions.get(secretBlock);
    if (!session) return refusal('NotAuthorizedException', 'Invalid session for the user.');
    this.sessions.delete(secretBlock);
    const { A, B, b, verifier } = session;
    const u = toInt(sha256(bytesOf(A), bytesOf(B)));
    const S = modPow(A * modPow(verifier, u, N), b, N);
    const prk = createHmac('sha256', bytesOf(u)).update(bytesOf(S)).digest();
    const key = createHmac('sha256', prk)
      .update(Buffer.concat([Buffer.from('Caldera Derived Key'), Buffer.from([1])]))
      .digest()
      .subarray(0, 16);
    const expected = createHmac('sha256', key)
      .update(this.poolName)
      .update(session.userIdForSrp)
      .update(Buffer.from(secretBlock, 'base64'))
      .update(responses.TIMESTAMP ?? '')
      .digest('base64');
    if (
      responses.USERNAME !== session.userIdForSrp ||
      responses.PASSWORD_CLAIM_SIGNATURE !== expected
    )
      return refusal('NotAuthorizedException', 'Incorrect username or password.');
    const forwarded = {
      ...body,
      ChallengeResponses: { ...responses, PASSWORD_CLAIM_SECRET_BLOCK: session.motoSession },
    };
    return this.completeChallenge(await this.forward(target, forwarded));
  }

  /** Challenge parameters as Cognito gives them, where moto's differ. */
  private completeChallenge(result: Answer): Answer {
    const parameters = result.answer.ChallengeParameters as Record<string, unknown> | undefined;
    if (result.answer.ChallengeName === 'NEW_PASSWORD_REQUIRED' && parameters) {
      parameters.userAttributes ??= JSON.stringify({ email_verified: 'true' });
      parameters.requiredAttributes ??= '[]';
    }
    if (parameters && Array.isArray(parameters.MFAS_CAN_SETUP))
      parameters.MFAS_CAN_SETUP = JSON.stringify(parameters.MFAS_CAN_SETUP);
    return result;
  }
}

const refusal = (type: string, message: string) => ({
  status: 400,
  answer: { __type: type, message },
});

/**
 * The API behind a JWT authorizer, as far as these tests need it: a bearer token is accepted when
 * Cognito (moto) takes it as an access token of this user pool's app client, and `GET
 * /api/v1/uploads` lists nothing. The first `refuse` requests are answered 401 as API Gateway
 * answers an expired token.
 */
async function authorizedApi(refuse: number) {
  const seen: Array<{ token: string; status: number }> = [];
  const server = createServer((request, response) => {
    const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const answer = (status: number, body: unknown) => {
      seen.push({ token, status });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const claims = token
      ? JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}')
      : {};
    if (seen.length < refuse || claims.client_id !== pool.clientId)
      return answer(401, { message: 'Unauthorized' });
    idp('GetUser', { AccessToken: token }).then(
      () => answer(200, { success: true, data: { items: [], nextCursor: null } }),
      () => answer(401, { message: 'Unauthorized' }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      server.close();
      await once(server, 'close');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The CLI, driven through its standard input

interface CliOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let cliBundle: string | undefined;

/**
 * Runs the built `upload-api <args>` and answers its questions: each time stderr shows a line
 * matching the next pattern of `answers`, its answer (a string, or a function of all stderr so
 * far) is written to the CLI's standard input as a line. After the last answer its standard input
 * ends, so a question too many fails at once instead of waiting.
 */
function cliWithAnswers(
  args: readonly string[],
  env: Record<string, string>,
  answers: ReadonlyArray<
    readonly [RegExp, string | ((stderr: string) => string | Promise<string>)]
  >,
): Promise<CliOutcome> {
  if (!cliBundle) throw new Error('the CLI is not built');
  const child = spawn(process.execPath, [cliBundle, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pending = [...answers];
  let stdout = '';
  let stderr = '';
  let seen = 0;
  let answering = Promise.resolve();
  if (pending.length === 0) child.stdin.end();
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    const lines = stderr.split('\n');
    for (; seen < lines.length - 1; seen++) {
      const next = pending[0];
      if (!next?.[0].test(lines[seen] as string)) continue;
      pending.shift();
      const [, answer] = next;
      const said = stderr;
      const last = pending.length === 0;
      answering = answering.then(async () => {
        child.stdin.write(`${typeof answer === 'string' ? answer : await answer(said)}\n`);
        if (last) child.stdin.end();
      });
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// ---------------------------------------------------------------------------------------------

const moto = inject('dynamodbEndpoint');
const USER = 'casey@example.com';
const TEMPORARY = 'Temporary-Passw0rd!';
const NEW_PASSWORD = 'Chosen-Passw0rd-42!';
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

let pool: { id: string; clientId: string };
let verifier: SrpVerifier;
let home: string;
let credentials: string;
let env: Record<string, string>;

const idp = <T = Json>(operation: string, body: Json) => cognitoCall<T>(moto, operation, body);

beforeAll(async () => {
  // Prepare: a user pool and app client like infra/upload-auth.ts, a user made by an admin
  const created = await idp<{ UserPool: { Id: string } }>('CreateUserPool', {
    PoolName: `login-test-${Date.now()}`,
    UsernameAttributes: ['email'],
    MfaConfiguration: 'ON',
    Policies: {
      PasswordPolicy: {
        MinimumLength: 12,
        RequireLowercase: true,
        RequireUppercase: true,
        RequireNumbers: true,
        RequireSymbols: true,
      },
    },
  });
  const id = created.UserPool.Id;
  await idp('SetUserPoolMfaConfig', {
    UserPoolId: id,
    MfaConfiguration: 'ON',
    SoftwareTokenMfaConfiguration: { Enabled: true },
  });
  const client = await idp<{ UserPoolClient: { ClientId: string } }>('CreateUserPoolClient', {
    UserPoolId: id,
    ClientName: 'ApiClient',
    GenerateSecret: false,
    ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    PreventUserExistenceErrors: 'ENABLED',
  });
  await idp('AdminCreateUser', {
    UserPoolId: id,
    Username: USER,
    TemporaryPassword: TEMPORARY,
    MessageAction: 'SUPPRESS',
    UserAttributes: [{ Name: 'email_verified', Value: 'true' }],
  });
  pool = { id, clientId: client.UserPoolClient.ClientId };

  verifier = new SrpVerifier(moto, id.split('_')[1] as string);
  verifier.passwords.set(USER, TEMPORARY);
  await verifier.start();

  // The real CLI, built as `npm run cli` builds it.
  cliBundle = await buildCli(join(await mkdtemp(join(tmpdir(), 'login-cli-')), 'upload-api.mjs'));
  home = await mkdtemp(join(tmpdir(), 'login-home-'));
  credentials = join(home, 'fresh-dir', 'credentials.json');
  env = {
    HOME: home,
    UPLOAD_API_CREDENTIALS: credentials,
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: verifier.endpoint,
    UPLOAD_API_USER_POOL_ID: pool.id,
    UPLOAD_API_CLIENT_ID: pool.clientId,
  };
});

afterAll(async () => {
  await verifier?.stop();
});

describe('upload-api login against emulated Cognito', () => {
  it('computes TOTP codes as RFC 6238 says', () => {
    const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // "12345678901234567890"
    expect(totp(rfcSecret, 59, 8)).toBe('94287082');
    expect(totp(rfcSecret, 1111111109, 8)).toBe('07081804');
  });

  it('refuses a wrong temporary password (SRP verified) and stores nothing', async () => {
    const result = await cliWithAnswers(['login', '--username', USER], env, [
      [/^Password:/, 'Wrong-Passw0rd!!'],
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('sign-in refused: Incorrect username or password.');
    await expect(stat(credentials)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a new password the pool policy does not allow', async () => {
    const result = await cliWithAnswers(['login', '--username', USER], env, [
      [/^Password:/, TEMPORARY],
      [/^New password:/, 'too-weak'],
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('(InvalidPasswordException)');
  });

  it('first login: new password, TOTP set-up with a computed code, credentials 0600', async () => {
    let secret = '';
    const result = await cliWithAnswers(
      ['login', '--username', USER, '--api', 'https://api.example.com/api/v1'],
      env,
      [
        [/^Password:/, TEMPORARY],
        [/^New password:/, NEW_PASSWORD],
        [
          /^Code from your authenticator app:/,
          async (stderr) => {
            secret = /secret: (\S+)/.exec(stderr)?.[1] ?? '';
            return freshTotp(secret);
          },
        ],
      ],
    );
    expect(result.stderr).toMatch(/otpauth:\/\/totp\/upload-api:casey%40example\.com\?secret=/);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`signed in as ${USER}`);
    expect(secret).not.toBe('');
    expect(`${result.stdout}${result.stderr}`).not.toMatch(JWT);
    expect((await stat(credentials)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'fresh-dir'))).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(await readFile(credentials, 'utf8'));
    expect(stored).toMatchObject({
      provider: 'cognito',
      userPoolId: pool.id,
      clientId: pool.clientId,
      region: 'us-east-1',
      username: USER,
      apiUrl: 'https://api.example.com/api/v1',
    });
    expect(stored.refreshToken).toEqual(expect.any(String));
    expect(JSON.stringify(stored)).not.toMatch(JWT);
    expect(verifier.passwords.get(USER)).toBe(NEW_PASSWORD);

    // Assess: a wrong code is refused at the next sign-in, the right one accepted
    const wrongCode = String((Number(await freshTotp(secret)) + 1) % 1_000_000).padStart(6, '0');
    const refused = await cliWithAnswers(['login'], { ...env, UPLOAD_API_USERNAME: USER }, [
      [/^Password:/, NEW_PASSWORD],
      [/^Code from your authenticator app:/, wrongCode],
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(CodeMismatchException)');

    const second = await cliWithAnswers(
      ['login'],
      { ...env, UPLOAD_API_USERNAME: USER, UPLOAD_API_PASSWORD: NEW_PASSWORD },
      [[/^Code from your authenticator app:/, () => freshTotp(secret)]],
    );
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toContain('secret:');
    const again = JSON.parse(await readFile(credentials, 'utf8'));
    expect(again.refreshToken).not.toBe(stored.refreshToken);
    expect(again.apiUrl).toBe('https://api.example.com/api/v1'); // kept from the first login
  });

  it('gives access tokens from the stored refresh token, refreshed on demand', async () => {
    const token = resolveTokenProvider({
      flags: {},
      env: {
        UPLOAD_API_CREDENTIALS: credentials,
        AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: moto,
      },
    });
    if (typeof token !== 'function') throw new Error('expected a token function');
    const first = await token();
    expect(await token()).toBe(first);
    const refreshed = await token({ forceRefresh: true, rejectedToken: first });
    expect(refreshed).not.toBe(first);
    expect(jwtExpiry(refreshed)).toBeGreaterThan(Date.now() + 55 * 60_000);
    const claims = JSON.parse(
      Buffer.from(refreshed.split('.')[1] as string, 'base64url').toString(),
    );
    expect(claims).toMatchObject({ token_use: 'access', client_id: pool.clientId });
    // Cognito (here moto) accepts it as the user's access token
    const user = await idp<{ UserAttributes: { Name: string; Value: string }[] }>('GetUser', {
      AccessToken: refreshed,
    });
    expect(user.UserAttributes).toContainEqual({ Name: 'email', Value: USER });
  });

  it('a 401 makes the SDK refresh the token through Cognito and send the request again', async () => {
    const api = await authorizedApi(1);
    try {
      const token = resolveTokenProvider({
        flags: {},
        env: {
          UPLOAD_API_CREDENTIALS: credentials,
          AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: moto,
        },
      });
      const client = new UploadApiClient({ apiUrl: api.url, token: token as TokenProvider });
      expect(await client.list()).toEqual({ items: [], nextCursor: null });
      expect(api.seen.map((s) => s.status)).toEqual([401, 200]);
      expect(api.seen[1]?.token).not.toBe(api.seen[0]?.token);
    } finally {
      await api.close();
    }
  });

  it('later commands use the stored sign-in: no --token needed', async () => {
    const api = await authorizedApi(0);
    try {
      const result = await cliWithAnswers(['list', '--api', api.url], env, []);
      expect(result.code, result.stderr).toBe(0);
      expect(api.seen.length).toBeGreaterThan(0);
      expect(api.seen.map((s) => s.status)).not.toContain(401);
      expect(`${result.stdout}${result.stderr}`).not.toMatch(JWT);
    } finally {
      await api.close();
    }
  });

  it('logout removes the stored credentials', async () => {
    const result = await cliWithAnswers(['logout'], env, []);
    expect(result.code, result.stderr).toBe(0);
    // moto has no RevokeToken (it answers 500): the CLI says so and signs out all the same
    expect(result.stderr).toContain('warning: could not revoke the refresh token at Cognito');
    expect(result.stdout).toContain(`signed out; removed ${credentials}`);
    await expect(stat(credentials)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(resolveTokenProvider({ flags: {}, env: { UPLOAD_API_CREDENTIALS: credentials } })).toBe(
      undefined,
    );
  });
});
