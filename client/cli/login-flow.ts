/**
 * Signing in to a Cognito user pool as its app client allows (USER_SRP_AUTH), answering every
 * challenge a first sign-in meets: a new password (NEW_PASSWORD_REQUIRED), TOTP set-up
 * (MFA_SETUP: AssociateSoftwareToken, VerifySoftwareToken) and TOTP or SMS codes. The SRP math
 * and the challenge calls are amazon-cognito-identity-js's (AWS's own client for user pools).
 */
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
  type CognitoUserSession,
  type IAuthenticationCallback,
} from 'amazon-cognito-identity-js';

export interface SignInSettings {
  readonly userPoolId: string;
  readonly clientId: string;
  readonly endpoint: string;
  readonly username: string;
  /** A TOTP code given ahead (flag or env), tried first at a SOFTWARE_TOKEN_MFA challenge. */
  readonly mfaCode?: string | undefined;
  readonly deviceName?: string;
}

/** How the flow asks the user for what it needs and shows what the user must see. */
export interface SignInQuestions {
  password(): Promise<string>;
  /** A new password (first sign-in); `retry` after Cognito refused the previous one. */
  newPassword(retry: boolean): Promise<string>;
  /** A value for an attribute the pool requires before the first sign-in completes. */
  attribute(name: string): Promise<string>;
  /** The code from the authenticator app (`totp`) or the SMS (`sms`). */
  code(kind: 'totp' | 'sms', retry: boolean): Promise<string>;
  /** The TOTP secret of a new authenticator entry, and its otpauth:// URI. */
  showTotpSecret(secret: string, uri: string): void;
  /** A line for the user (on stderr). */
  tell(line: string): void;
  /** Whether a refused answer can be asked again (a person is typing). */
  readonly canRetry: boolean;
}

export interface SignedIn {
  readonly refreshToken: string;
  readonly accessToken: string;
  /** Access token expiry, ms since the epoch. */
  readonly expiresAt: number;
}

/** Cognito's answer to a call: its exception name and message. */
export class SignInError extends Error {
  override readonly name = 'SignInError';
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

type Step =
  | { readonly kind: 'done'; readonly session: CognitoUserSession }
  | { readonly kind: 'newPassword'; readonly required: readonly string[] }
  | { readonly kind: 'mfaSetup'; readonly parameters: Record<string, unknown> }
  | { readonly kind: 'totp' }
  | { readonly kind: 'sms'; readonly parameters: Record<string, unknown> }
  | { readonly kind: 'selectMfa'; readonly parameters: Record<string, unknown> }
  | { readonly kind: 'custom' };

const ATTEMPTS = 3;
const MAX_STEPS = 12;

function toSignInError(error: unknown): SignInError {
  if (error instanceof SignInError) return error;
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  const code =
    typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'Error';
  const message = typeof e?.message === 'string' && e.message ? e.message : String(error);
  return new SignInError(code, message, { cause: error });
}

/** The callbacks of one library call, as a promise of the next step. */
function nextStep(start: (callbacks: IAuthenticationCallback) => void): Promise<Step> {
  return new Promise<Step>((resolve, reject) => {
    start({
      onSuccess: (session) => resolve({ kind: 'done', session }),
      onFailure: (error) => reject(toSignInError(error)),
      newPasswordRequired: (_attributes, required) =>
        resolve({ kind: 'newPassword', required: Array.isArray(required) ? required : [] }),
      mfaSetup: (_name, parameters) => resolve({ kind: 'mfaSetup', parameters: parameters ?? {} }),
      totpRequired: () => resolve({ kind: 'totp' }),
      mfaRequired: (_name, parameters) => resolve({ kind: 'sms', parameters: parameters ?? {} }),
      selectMFAType: (_name, parameters) =>
        resolve({ kind: 'selectMfa', parameters: parameters ?? {} }),
      customChallenge: () => resolve({ kind: 'custom' }),
    });
  });
}

/** An otpauth:// URI for authenticator apps (most also accept the bare secret). */
export function otpauthUri(secret: string, account: string, issuer = 'upload-api'): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  return `otpauth://totp/${label}?secret=${encodeURIComponent(secret)}&issuer=${encodeURIComponent(issuer)}`;
}

/** Signs in; resolves to the tokens, or rejects with a SignInError naming Cognito's answer. */
export async function signIn(settings: SignInSettings, ask: SignInQuestions): Promise<SignedIn> {
  const pool = new CognitoUserPool({
    UserPoolId: settings.userPoolId,
    ClientId: settings.clientId,
    endpoint: settings.endpoint,
  });
  const user = new CognitoUser({ Username: settings.username, Pool: pool });
  const password = await ask.password();
  const details = new AuthenticationDetails({ Username: settings.username, Password: password });
  let step = await nextStep((callbacks) => user.authenticateUser(details, callbacks));
  let givenCode = settings.mfaCode;

  /** Asks again (a new password or code) while Cognito refuses it with one of `codes`. */
  const withRetries = async (
    codes: readonly string[],
    attempt: (retry: boolean) => Promise<Step>,
  ) => {
    for (let n = 1; ; n++) {
      try {
        return await attempt(n > 1);
      } catch (error) {
        const refused = toSignInError(error);
        if (!codes.includes(refused.code) || n >= ATTEMPTS || !ask.canRetry) throw refused;
        ask.tell(`${refused.message} Try again.`);
      }
    }
  };

  for (let steps = 0; steps < MAX_STEPS; steps++) {
    switch (step.kind) {
      case 'done':
        return {
          refreshToken: step.session.getRefreshToken().getToken(),
          accessToken: step.session.getAccessToken().getJwtToken(),
          expiresAt: step.session.getAccessToken().getExpiration() * 1000,
        };
      case 'newPassword': {
        ask.tell('This is your first sign-in: choose a new password.');
        const attributes: Record<string, string> = {};
        for (const name of step.required) attributes[name] = await ask.attribute(name);
        step = await withRetries(['InvalidPasswordException'], async (retry) => {
          const next = await ask.newPassword(retry);
          return nextStep((callbacks) =>
            user.completeNewPasswordChallenge(next, attributes, callbacks),
          );
        });
        break;
      }
      case 'mfaSetup': {
        const offered = JSON.stringify(step.parameters.MFAS_CAN_SETUP ?? '');
        if (!offered.includes('SOFTWARE_TOKEN_MFA'))
          throw new SignInError(
            'MfaSetupUnsupported',
            `the user pool asks to set up MFA of a kind this CLI cannot set up (${offered})`,
          );
        const secret = await new Promise<string>((resolve, reject) =>
          user.associateSoftwareToken({
            associateSecretCode: resolve,
            onFailure: (error) => reject(toSignInError(error)),
          }),
        );
        ask.showTotpSecret(secret, otpauthUri(secret, settings.username));
        step = await withRetries(
          ['CodeMismatchException', 'EnableSoftwareTokenMFAException'],
          async (retry) => {
            const code = (await ask.code('totp', retry)).replace(/\s+/g, '');
            return nextStep((callbacks) =>
              user.verifySoftwareToken(code, settings.deviceName ?? 'upload-api', callbacks),
            );
          },
        );
        break;
      }
      case 'totp':
        step = await withRetries(['CodeMismatchException'], async (retry) => {
          const code = givenCode && !retry ? givenCode : await ask.code('totp', retry);
          givenCode = undefined;
          return nextStep((callbacks) =>
            user.sendMFACode(code.replace(/\s+/g, ''), callbacks, 'SOFTWARE_TOKEN_MFA'),
          );
        });
        break;
      case 'sms':
        step = await withRetries(['CodeMismatchException'], async (retry) => {
          const code = await ask.code('sms', retry);
          return nextStep((callbacks) => user.sendMFACode(code.trim(), callbacks, 'SMS_MFA'));
        });
        break;
      case 'selectMfa': {
        const offered = JSON.stringify(step.parameters.MFAS_CAN_CHOOSE ?? '');
        const choice = offered.includes('SOFTWARE_TOKEN_MFA') ? 'SOFTWARE_TOKEN_MFA' : 'SMS_MFA';
        step = await nextStep((callbacks) =>
          user.sendMFASelectionAnswer(
            choice,
            callbacks as Parameters<CognitoUser['sendMFASelectionAnswer']>[1],
          ),
        );
        break;
      }
      case 'custom':
        throw new SignInError(
          'CustomChallengeUnsupported',
          'the user pool asks a custom challenge, which this CLI cannot answer',
        );
    }
  }
  throw new SignInError('TooManyChallenges', 'Cognito kept asking challenges; giving up');
}
