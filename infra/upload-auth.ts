import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import {
  AccountRecovery,
  Mfa,
  OAuthScope,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { OidcSettings } from '../web/config.ts';
import type { ResolvedUploadApiProps } from './upload-api-props.ts';

export interface UploadAuthProps extends ResolvedUploadApiProps {
  /** The hosted upload page's URL (UploadSite's `url`): the page signs in and out there. */
  readonly siteUrl?: string;
}

/**
 * The API's JWT authorizer: trusts an existing OIDC issuer when one is given, otherwise a
 * Cognito user pool and app client created here. The caller is the token's `sub`. With a hosted
 * page, the pool gets a hosted UI domain and the client the authorization code grant (PKCE, no
 * secret), whose access tokens carry the client id as `client_id`: the audience both authorizers
 * accept.
 */
export class UploadAuth extends Construct {
  readonly authorizer: HttpJwtAuthorizer;
  /** The issuer and audiences the authorizer trusts: the live channel trusts the same. */
  readonly jwt: { readonly issuer: string; readonly audience: readonly string[] };
  readonly userPool: UserPool | undefined;
  readonly userPoolClient: UserPoolClient | undefined;
  /** The Cognito hosted UI, with a hosted page and the construct's own user pool. */
  readonly signInDomain: UserPoolDomain | undefined;
  /** The hosted page's sign-in settings (its config.json `oidc`), when it can sign in. */
  readonly pageSignIn: OidcSettings | undefined;

  constructor(scope: Construct, id: string, props: UploadAuthProps) {
    super(scope, id);
    const { siteUrl } = props;
    if (props.jwt) {
      this.jwt = props.jwt;
      this.authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwt.issuer, {
        jwtAudience: [...props.jwt.audience],
      });
      const clientId = props.site?.signInClientId;
      if (siteUrl && clientId) {
        this.pageSignIn = { issuer: props.jwt.issuer, clientId, redirectUri: siteUrl };
      }
      return;
    }
    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Threat protection needs the Plus feature plan (billed per active user); MFA is required instead. Pass jwtIssuer to use another identity provider.',
    });
    const domainPrefix = props.site?.signInDomainPrefix;
    const hostedSignIn = siteUrl && domainPrefix ? { siteUrl, domainPrefix } : undefined;
    this.userPoolClient = this.userPool.addClient('ApiClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      ...(hostedSignIn
        ? {
            // A public client (no secret): the page binds each code to its sign-in with PKCE.
            oAuth: {
              flows: { authorizationCodeGrant: true },
              scopes: [OAuthScope.OPENID, OAuthScope.EMAIL],
              callbackUrls: [hostedSignIn.siteUrl],
              logoutUrls: [hostedSignIn.siteUrl],
            },
            supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
          }
        : // Without a hosted page no OAuth flow is needed: CDK would otherwise allow the implicit
          // grant to a placeholder callback URL.
          { disableOAuth: true }),
    });
    const clientId = this.userPoolClient.userPoolClientId;
    const issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
    this.jwt = { issuer, audience: [clientId] };
    this.authorizer = new HttpJwtAuthorizer('JwtAuthorizer', issuer, { jwtAudience: [clientId] });

    if (hostedSignIn) {
      this.signInDomain = this.userPool.addDomain('SignInDomain', {
        cognitoDomain: { domainPrefix: hostedSignIn.domainPrefix },
      });
      const hostedUi = this.signInDomain.baseUrl();
      this.pageSignIn = {
        issuer,
        authorizationEndpoint: `${hostedUi}/oauth2/authorize`,
        tokenEndpoint: `${hostedUi}/oauth2/token`,
        logoutEndpoint: `${hostedUi}/logout`,
        clientId,
        scope: 'openid email',
        redirectUri: hostedSignIn.siteUrl,
      };
    }
  }
}

/** The Cognito hosted UI's origin for a domain prefix, known before the domain exists. */
export const hostedUiOrigin = (domainPrefix: string): string =>
  `https://${domainPrefix}.auth.${Aws.REGION}.amazoncognito.com`;
