import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { AccountRecovery, Mfa, UserPool, type UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { ResolvedUploadApiProps } from './upload-api-props.ts';

/**
 * The API's JWT authorizer: trusts an existing OIDC issuer when one is given, otherwise a
 * Cognito user pool and app client created here. The caller is the token's `sub`.
 */
export class UploadAuth extends Construct {
  readonly authorizer: HttpJwtAuthorizer;
  /** The issuer and audiences the authorizer trusts: the live channel trusts the same. */
  readonly jwt: { readonly issuer: string; readonly audience: readonly string[] };
  readonly userPool: UserPool | undefined;
  readonly userPoolClient: UserPoolClient | undefined;

  constructor(scope: Construct, id: string, props: ResolvedUploadApiProps) {
    super(scope, id);
    if (props.jwt) {
      this.jwt = props.jwt;
      this.authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwt.issuer, {
        jwtAudience: [...props.jwt.audience],
      });
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
    this.userPoolClient = this.userPool.addClient('ApiClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
    });
    const issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
    this.jwt = { issuer, audience: [this.userPoolClient.userPoolClientId] };
    this.authorizer = new HttpJwtAuthorizer('JwtAuthorizer', issuer, {
      jwtAudience: [this.userPoolClient.userPoolClientId],
    });
  }
}
