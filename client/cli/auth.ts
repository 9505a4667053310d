/**
 * Tokens for the CLI: `upload-api login` / `logout`, and which token a command sends (a fixed
 * token, a token command, or the stored Cognito sign-in, refreshed as needed).
 */
import { parseArgs } from 'node:util';
import type { FetchLike, TokenProvider } from '../sdk/api.ts';
import {
  credentialsPath as defaultCredentialsPath,
  readCredentialsSync,
  removeCredentials,
  type StoredCredentials,
  storedCognitoTokenProvider,
  writeCredentials,
} from '../sdk/cognito-credentials.ts';
import {
  CognitoError,
  cognitoCall,
  cognitoEndpoint,
  regionOfUserPool,
} from '../sdk/cognito-token.ts';
import { commandTokenProvider } from '../sdk/token-command.ts';
import type { SignInError } from './login-flow.ts';
import { createPrompter, type PromptInput } from './login-prompt.ts';

type Env = Record<string, string | undefined>;

/** What login/logout use of the CLI's I/O; `stdin` defaults to process.stdin. */
export interface AuthIo {
  readonly stdin?: PromptInput;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Env;
  readonly signal: AbortSignal;
}

const EXIT = { ok: 0, error: 1, usage: 2, interrupted: 130 } as const;

export const LOGIN_USAGE = `usage: upload-api login [options]

Signs in to the stack's Cognito user pool (SRP; a first sign-in also sets a new password and an
authenticator app for TOTP MFA) and keeps the refresh token in a file only you can read; later
commands get fresh access tokens from it, so long uploads keep working. Tokens are never printed.

options:
  --user-pool-id ID     stack output UserPoolId (env UPLOAD_API_USER_POOL_ID)
  --client-id ID        stack output UserPoolClientId (env UPLOAD_API_CLIENT_ID)
  --region REGION       Cognito's region (default: the one in the user pool id)
  --username NAME       your user name or e-mail (env UPLOAD_API_USERNAME; asked otherwise)
  --mfa-code CODE       current code of your authenticator app (env UPLOAD_API_MFA_CODE;
                        asked otherwise)
  --api URL             API URL to remember for later commands (env UPLOAD_API_URL)
  -h, --help            this text

The password comes from UPLOAD_API_PASSWORD and a first sign-in's new password from
UPLOAD_API_NEW_PASSWORD; otherwise each is asked (without echo on a terminal). When standard
input is not a terminal, each question is answered by its next line.
The user pool and client ids of an earlier login are reused when none are given.
Credentials: ~/.upload-api/credentials.json (env UPLOAD_API_CREDENTIALS), mode 0600.
Cognito endpoint: AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER or AWS_ENDPOINT_URL (an emulator).`;

export const LOGOUT_USAGE = `usage: upload-api logout

Revokes the stored refresh token at Cognito (best effort) and removes the stored credentials
(~/.upload-api/credentials.json, env UPLOAD_API_CREDENTIALS).`;

const LOGIN_OPTIONS = {
  'user-pool-id': { type: 'string' },
  'client-id': { type: 'string' },
  region: { type: 'string' },
  username: { type: 'string' },
  'mfa-code': { type: 'string' },
  api: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class LoginUsageError extends Error {}

const given = (...values: (string | undefined)[]) =>
  values.map((v) => v?.trim()).find((v): v is string => !!v);

const interrupted = (io: AuthIo, error: unknown) =>
  io.signal.aborted || (error instanceof Error && error.name === 'AbortError');

/** `upload-api login [options]`: signs in and stores the refresh token; the exit code. */
export async function loginCommand(args: readonly string[], io: AuthIo): Promise<number> {
  const warn = (line: string) => io.stderr.write(`${line}\n`);
  let parsed: ReturnType<typeof parseLoginArgs>;
  try {
    parsed = parseLoginArgs(args);
  } catch (error) {
    warn(`error: ${(error as Error).message} (see upload-api login --help)`);
    return EXIT.usage;
  }
  if (parsed.help) {
    io.stdout.write(`${LOGIN_USAGE}\n`);
    return EXIT.ok;
  }
  const path = defaultCredentialsPath(io.env);
  const prompter = createPrompter(io.stdin ?? process.stdin, io.stderr, io.signal);
  try {
    const previous = safeRead(path);
    const userPoolId = given(
      parsed.userPoolId,
      io.env.UPLOAD_API_USER_POOL_ID,
      previous?.userPoolId,
    );
    const clientId = given(parsed.clientId, io.env.UPLOAD_API_CLIENT_ID, previous?.clientId);
    if (!userPoolId || !clientId)
      throw new LoginUsageError(
        'the user pool is unknown: pass --user-pool-id and --client-id (stack outputs UserPoolId, UserPoolClientId)',
      );
    let region: string;
    try {
      region = given(parsed.region) ?? regionOfUserPool(userPoolId);
    } catch (error) {
      throw new LoginUsageError((error as Error).message);
    }
    const endpoint = cognitoEndpoint(region, io.env);
    const username =
      given(parsed.username, io.env.UPLOAD_API_USERNAME) ??
      given(await prompter.ask('Username: ')) ??
      '';
    if (!username) throw new LoginUsageError('no username');
    const samePool = previous?.userPoolId === userPoolId && previous.clientId === clientId;
    const apiUrl = given(
      parsed.api,
      io.env.UPLOAD_API_URL,
      samePool ? previous?.apiUrl : undefined,
    );

    // Loaded only here: other commands never evaluate the Cognito sign-in library.
    const { signIn } = await import('./login-flow.ts');
    const tokens = await untilAborted(
      io.signal,
      signIn(
        {
          userPoolId,
          clientId,
          endpoint,
          username,
          mfaCode: given(parsed.mfaCode, io.env.UPLOAD_API_MFA_CODE),
        },
        {
          canRetry: prompter.interactive,
          password: async () =>
            io.env.UPLOAD_API_PASSWORD || (await prompter.ask('Password: ', { secret: true })),
          newPassword: async (retry) => {
            const fromEnv = retry ? undefined : io.env.UPLOAD_API_NEW_PASSWORD;
            if (fromEnv) return fromEnv;
            for (;;) {
              const first = await prompter.ask('New password: ', { secret: true });
              if (!prompter.interactive) return first;
              const second = await prompter.ask('New password again: ', { secret: true });
              if (first === second) return first;
              warn('The two passwords differ. Try again.');
            }
          },
          attribute: (name) => prompter.ask(`Your ${name}: `),
          code: (kind) =>
            prompter.ask(
              kind === 'totp' ? 'Code from your authenticator app: ' : 'Code sent by SMS: ',
            ),
          showTotpSecret: (secret, uri) => {
            warn('Set up an authenticator app (TOTP) for this user: add this key to it');
            warn(`  secret: ${secret}`);
            warn(`  or this URI (e.g. as a QR code): ${uri}`);
          },
          tell: warn,
        },
      ),
    );
    const credentials: StoredCredentials = {
      version: 1,
      provider: 'cognito',
      userPoolId,
      clientId,
      region,
      username,
      refreshToken: tokens.refreshToken,
      ...(apiUrl ? { apiUrl } : {}),
      ...(endpoint !== cognitoEndpoint(region) ? { endpoint } : {}),
      savedAt: new Date().toISOString(),
    };
    await writeCredentials(path, credentials);
    io.stdout.write(
      `signed in as ${username}; credentials saved to ${path} (readable by you only)\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof LoginUsageError) {
      warn(`error: ${error.message} (see upload-api login --help)`);
      return EXIT.usage;
    }
    if (interrupted(io, error)) {
      warn('interrupted');
      return EXIT.interrupted;
    }
    warn(`error: ${loginErrorLine(error)}`);
    return EXIT.error;
  } finally {
    prompter.close();
  }
}

/** `upload-api logout`: revokes (best effort) and removes the stored credentials. */
export async function logoutCommand(args: readonly string[], io: AuthIo): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    io.stdout.write(`${LOGOUT_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.length > 0) {
    io.stderr.write(`error: logout takes no arguments: ${args.join(' ')} (see --help)\n`);
    return EXIT.usage;
  }
  const path = defaultCredentialsPath(io.env);
  try {
    const stored = safeRead(path);
    if (stored) await revoke(stored, io);
    const removed = await removeCredentials(path);
    io.stdout.write(removed ? `signed out; removed ${path}\n` : `not signed in (no ${path})\n`);
    return EXIT.ok;
  } catch (error) {
    io.stderr.write(`error: ${loginErrorLine(error)}\n`);
    return EXIT.error;
  }
}

async function revoke(stored: StoredCredentials, io: AuthIo): Promise<void> {
  const configured =
    io.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER || io.env.AWS_ENDPOINT_URL || undefined;
  const endpoint = configured ?? stored.endpoint ?? cognitoEndpoint(stored.region);
  try {
    await cognitoCall(
      endpoint,
      'RevokeToken',
      { Token: stored.refreshToken, ClientId: stored.clientId },
      { signal: AbortSignal.any([io.signal, AbortSignal.timeout(10_000)]) },
    );
  } catch (error) {
    const why = error instanceof CognitoError ? `${error.code}: ${error.message}` : String(error);
    io.stderr.write(
      `warning: could not revoke the refresh token at Cognito (${why}); it stays valid until it expires\n`,
    );
  }
}

/** `promise`, or its signal's reason as soon as the user interrupts (Ctrl-C) a Cognito call. */
function untilAborted<T>(signal: AbortSignal, promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Stored credentials, or undefined when absent or unreadable (a login replaces them). */
function safeRead(path: string): StoredCredentials | undefined {
  try {
    return readCredentialsSync(path);
  } catch {
    return undefined;
  }
}

function parseLoginArgs(args: readonly string[]) {
  const { values } = parseArgs({
    args: [...args],
    options: LOGIN_OPTIONS,
    allowPositionals: false,
    strict: true,
  });
  return {
    help: values.help === true,
    userPoolId: values['user-pool-id'],
    clientId: values['client-id'],
    region: values.region,
    username: values.username,
    mfaCode: values['mfa-code'],
    api: values.api,
  };
}

function loginErrorLine(error: unknown): string {
  if (error instanceof Error && error.name === 'SignInError') {
    const { code } = error as SignInError;
    if (code === 'NotAuthorizedException' || code === 'UserNotFoundException')
      return `sign-in refused: ${error.message}`;
    return `sign-in failed: ${error.message} (${code})`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] || 'unknown error';
}

export interface TokenFlags {
  /** `--token`: a fixed bearer token. */
  readonly token?: string | undefined;
  /** `--token-command`: a shell command printing a bearer token. */
  readonly tokenCommand?: string | undefined;
}

export interface ResolveTokenOptions {
  readonly flags: TokenFlags;
  readonly env: Env;
  /** Default: `$UPLOAD_API_CREDENTIALS` or `~/.upload-api/credentials.json`. */
  readonly credentialsPath?: string;
  /** For the Cognito refresh calls (tests). */
  readonly fetch?: FetchLike;
}

/**
 * The token a command sends: `--token`, then `--token-command`, then UPLOAD_API_TOKEN, then
 * UPLOAD_API_TOKEN_COMMAND (a flag beats the environment), then the stored `upload-api login`
 * credentials; undefined when there is none. Throws when the credentials file is unreadable.
 */
export function resolveTokenProvider(options: ResolveTokenOptions): TokenProvider | undefined {
  const { flags, env } = options;
  const fixed = given(flags.token);
  if (fixed) return fixed;
  const command = given(flags.tokenCommand);
  if (command) return commandTokenProvider(command, { env });
  const fixedFromEnv = given(env.UPLOAD_API_TOKEN);
  if (fixedFromEnv) return fixedFromEnv;
  const commandFromEnv = given(env.UPLOAD_API_TOKEN_COMMAND);
  if (commandFromEnv) return commandTokenProvider(commandFromEnv, { env });
  return storedCognitoTokenProvider({
    path: options.credentialsPath ?? defaultCredentialsPath(env),
    env,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** The API URL remembered by `upload-api login --api URL`, if any. */
export function storedApiUrl(env: Env, credentialsPath?: string): string | undefined {
  return safeRead(credentialsPath ?? defaultCredentialsPath(env))?.apiUrl;
}
