import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../src/http/routes.ts';
import { logicalId, removeOutdirs, type Synthesized, synthesize } from './support/synth.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const ofType = (template: Template, type: string) =>
  Object.entries(template.toJSON().Resources as Resources).filter(([, r]) => r.Type === type);

/** The logical ID and properties of the one resource of a type. */
function single(template: Template, type: string): [string, Record<string, unknown>] {
  const found = ofType(template, type);
  expect(found).toHaveLength(1);
  const [id, resource] = found[0] as [string, Resources[string]];
  return [id, resource.Properties];
}

describe('HTTP API', () => {
  afterAll(removeOutdirs);

  let synth: Synthesized;
  let template: Template;

  beforeAll(() => {
    synth = synthesize({ live: false }); // the WebSocket API: test/infra/live.test.ts
    template = synth.template;
  });

  it('serves exactly the route keys of ROUTES, the table the local server serves', () => {
    const keys = ofType(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect([...keys].sort()).toEqual(ROUTES.map(routeKey).sort());
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('serves DELETE /file behind the JWT authorizer, on the delete-file function', () => {
    const route = ofType(template, 'AWS::ApiGatewayV2::Route').find(
      ([, r]) => r.Properties.RouteKey === 'DELETE /api/v1/uploads/{id}/file',
    );
    expect(route?.[1].Properties).toMatchObject({ AuthorizationType: 'JWT' });
    const fn = synth.stack.uploadApi.functions.deleteFile;
    const resources = template.toJSON().Resources as Resources;
    expect(resources[logicalId(fn)]?.Properties).toMatchObject({
      Description: 'DELETE /api/v1/uploads/{id}/file: Delete the finished file',
      Timeout: 10,
    });
  });

  it('sends each route to the function of its own handler', () => {
    const resources = template.toJSON().Resources as Resources;
    const routes = new Map(
      ofType(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => [
        r.Properties.RouteKey,
        r.Properties,
      ]),
    );
    for (const route of ROUTES) {
      const target = routes.get(routeKey(route))?.Target as { 'Fn::Join': [string, unknown[]] };
      const integrationId = target['Fn::Join'][1][1] as { Ref: string };
      expect(resources[integrationId.Ref]?.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: {
          'Fn::GetAtt': [logicalId(synth.stack.uploadApi.functions[route.id]), 'Arn'],
        },
      });
    }
  });

  it('puts every route behind the one JWT authorizer of the created user pool', () => {
    const [authorizerId, authorizer] = single(template, 'AWS::ApiGatewayV2::Authorizer');
    const { userPool, userPoolClient } = synth.stack.uploadApi;
    if (!userPool || !userPoolClient) throw new Error('expected a user pool and client');
    const pool = logicalId(userPool);
    const client = logicalId(userPoolClient);
    expect(authorizer).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: client }],
        Issuer: {
          'Fn::Join': [
            '',
            ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: pool }],
          ],
        },
      },
    });
    for (const [, route] of ofType(template, 'AWS::ApiGatewayV2::Route')) {
      expect(route.Properties).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    }
  });

  it('creates a user pool with a strong password policy, required MFA and a public app client', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
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
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  it('answers CORS preflight for the configured origins and headers', () => {
    const [, api] = single(template, 'AWS::ApiGatewayV2::Api');
    expect(api).toMatchObject({
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: ['*'],
        AllowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
        AllowHeaders: ['authorization', 'content-type', 'idempotency-key'],
        ExposeHeaders: ['retry-after'],
        MaxAge: 3600,
      },
    });
  });

  it('throttles the auto-deployed $default stage and logs each request as JSON', () => {
    const [, stage] = single(template, 'AWS::ApiGatewayV2::Stage');
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    const logSettings = stage.AccessLogSettings as {
      DestinationArn: unknown;
      Format: string;
    };
    const [logGroupId] = (logSettings.DestinationArn as { 'Fn::GetAtt': [string, string] })[
      'Fn::GetAtt'
    ];
    expect((template.toJSON().Resources as Resources)[logGroupId]?.Properties).toEqual({
      RetentionInDays: 30,
    });
    const format = JSON.parse(logSettings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      sub: '$context.authorizer.claims.sub',
      integrationError: '$context.integrationErrorMessage',
    });
  });

  it('outputs the API URL, bucket, table, user pool and client ids, the dashboard and live URL', () => {
    const outputs = synthesize().template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'ApiUrl',
        'BucketName',
        'TableName',
        'UserPoolClientId',
        'UserPoolId',
        'DashboardName',
        'LiveUrl',
      ].sort(),
    );
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toContain('api/v1');
    expect(JSON.stringify(outputs.LiveUrl?.Value)).toContain('wss://');
  });

  describe('with an existing OIDC provider', () => {
    let oidc: Synthesized;

    beforeAll(() => {
      oidc = synthesize({
        jwtIssuer: 'https://login.example.com/',
        jwtAudience: ['upload-api'],
        allowedOrigins: ['https://app.example.com'],
        throttle: { rateLimit: 20, burstLimit: 40 },
      });
    });

    it('trusts that issuer and audience and creates no user pool', () => {
      oidc.template.resourceCountIs('AWS::Cognito::UserPool', 0);
      oidc.template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
      expect(oidc.stack.uploadApi.userPool).toBeUndefined();
      oidc.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['upload-api'] },
      });
      const outputs = Object.keys(oidc.template.toJSON().Outputs);
      expect(outputs).not.toContain('UserPoolId');
      expect(outputs).not.toContain('UserPoolClientId');
    });

    it('applies the configured origins and throttling to the API, the bucket and the functions', () => {
      oidc.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: { AllowOrigins: ['https://app.example.com'] },
      });
      oidc.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      });
      oidc.template.hasResourceProperties('AWS::S3::Bucket', {
        CorsConfiguration: { CorsRules: [{ AllowedOrigins: ['https://app.example.com'] }] },
      });
      for (const fn of Object.values(oidc.stack.uploadApi.functions)) {
        const env =
          oidc.template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables;
        expect(env.CORS_ALLOWED_ORIGINS).toBe('https://app.example.com');
      }
    });
  });
});
