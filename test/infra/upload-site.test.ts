import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Token } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { PriceClass } from 'aws-cdk-lib/aws-cloudfront';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveUploadApiProps } from '../../infra/upload-api-props.ts';
import { buildPage } from '../../infra/upload-site.ts';
import { logicalId, removeOutdirs, type Synthesized, synthesize } from './support/synth.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };

const resourcesOf = (template: Template) => template.toJSON().Resources as Record<string, Resource>;

function defined<T>(value: T | undefined, what = 'value'): T {
  if (value === undefined) throw new Error(`expected a ${what}`);
  return value;
}

function single(template: Template, type: string): [string, Record<string, unknown>] {
  const found = Object.entries(resourcesOf(template)).filter(([, r]) => r.Type === type);
  expect(found, type).toHaveLength(1);
  const [id, resource] = found[0] as [string, Resource];
  return [id, resource.Properties];
}

/**
 * A CloudFormation value as one readable string: `{Id}` for a Ref, `{Id.Attribute}` for a GetAtt,
 * joins and splits written out (`AWS::StackId` split and selected stays `{AWS::StackId}[2]`).
 */
function render(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  const v = value as Record<string, unknown>;
  if ('Ref' in v) return `{${v.Ref}}`;
  if ('Fn::GetAtt' in v) return `{${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  if ('Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  if ('Fn::Select' in v) {
    const [index, list] = v['Fn::Select'] as [number, { 'Fn::Split': [string, unknown] }];
    return `${render(list['Fn::Split'][1])}[${index}]`;
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** The config.json the deployment writes, its deploy-time values rendered by `render`. */
function deployedConfig(synth: Synthesized): unknown {
  const [, deployment] = single(synth.template, 'Custom::CDKBucketDeployment');
  const keys = deployment.SourceObjectKeys as string[];
  const markers = deployment.SourceMarkers as Record<string, unknown>[];
  // The page is the first source, config.json (with the stack's values as markers) the second.
  const hash = (keys[1] as string).replace(/\.zip$/, '');
  const text = readFileSync(join(synth.app.outdir, `asset.${hash}`, 'config.json'), 'utf8');
  const values = markers[1] ?? {};
  return JSON.parse(
    text.replace(/<<marker:0xbaba:\d+>>/g, (marker) => render(values[marker]).replace(/"/g, '\\"')),
  );
}

const CSP_OF = (template: Template): string => {
  const [, policy] = single(template, 'AWS::CloudFront::ResponseHeadersPolicy');
  const config = policy.ResponseHeadersPolicyConfig as {
    SecurityHeadersConfig: { ContentSecurityPolicy: { ContentSecurityPolicy: unknown } };
  };
  return render(config.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy);
};

describe('upload page (site)', () => {
  afterAll(removeOutdirs);

  it('is off by default; `true` takes PriceClass_100 and a prefix from the stack id', () => {
    expect(resolveUploadApiProps().site).toBeUndefined();
    const site = resolveUploadApiProps({ site: true }).site;
    expect(site?.priceClass).toBe(PriceClass.PRICE_CLASS_100);
    expect(Token.isUnresolved(site?.signInDomainPrefix)).toBe(true);
    expect(site?.signInClientId).toBeUndefined();
  });

  describe('with the construct user pool', () => {
    let synth: Synthesized;
    let template: Template;
    let ids: { bucket: string; logs: string; distribution: string; httpApi: string };

    beforeAll(() => {
      synth = synthesize({ site: true, allowedOrigins: ['https://app.example.com'] });
      template = synth.template;
      const { httpApi } = synth.stack.uploadApi;
      const site = defined(synth.stack.uploadApi.site, 'site');
      ids = {
        bucket: logicalId(site.bucket),
        logs: logicalId(site.logsBucket),
        distribution: logicalId(site.distribution),
        httpApi: logicalId(httpApi),
      };
    });

    it('keeps the page in a private, encrypted bucket with access logs', () => {
      const bucket = resourcesOf(template)[ids.bucket]?.Properties;
      expect(bucket).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
          ],
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: ids.logs } },
      });
    });

    it('lets only this distribution read the bucket, and only over TLS', () => {
      const policy = Object.values(resourcesOf(template)).find(
        (r) =>
          r.Type === 'AWS::S3::BucketPolicy' &&
          JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: ids.bucket }),
      );
      const document = defined(policy, 'bucket policy').Properties.PolicyDocument;
      const statements = (document as { Statement: Record<string, unknown>[] }).Statement;
      expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([
        {
          Action: 's3:GetObject',
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.bucket, 'Arn'] }, '/*']] },
          Condition: {
            StringEquals: {
              'AWS:SourceArn': {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':cloudfront::',
                    { Ref: 'AWS::AccountId' },
                    ':distribution/',
                    { Ref: ids.distribution },
                  ],
                ],
              },
            },
          },
        },
      ]);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    });

    it('serves it through origin access control, HTTPS only, index.html at the root, logged', () => {
      const [oacId, oac] = single(template, 'AWS::CloudFront::OriginAccessControl');
      expect(oac.OriginAccessControlConfig).toMatchObject({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      });
      const [, distribution] = single(template, 'AWS::CloudFront::Distribution');
      const [headersId] = single(template, 'AWS::CloudFront::ResponseHeadersPolicy');
      expect(distribution.DistributionConfig).toMatchObject({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: {
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD'],
          ResponseHeadersPolicyId: { Ref: headersId },
        },
        Origins: [
          {
            DomainName: { 'Fn::GetAtt': [ids.bucket, 'RegionalDomainName'] },
            OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] },
          },
        ],
        Logging: { Bucket: { 'Fn::GetAtt': [ids.logs, 'RegionalDomainName'] } },
        PriceClass: 'PriceClass_100',
      });
    });

    it('sends security headers whose CSP admits the page, the API, S3 and the hosted UI only', () => {
      const [, policy] = single(template, 'AWS::CloudFront::ResponseHeadersPolicy');
      expect(policy.ResponseHeadersPolicyConfig).toMatchObject({
        SecurityHeadersConfig: {
          StrictTransportSecurity: { AccessControlMaxAgeSec: 63_072_000, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
        },
      });
      const region = '{AWS::Region}.{AWS::URLSuffix}';
      expect(CSP_OF(template).split('; ')).toEqual([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        `connect-src 'self' https://*.execute-api.${region} wss://*.execute-api.${region} https://*.s3.${region} https://*.s3.{AWS::URLSuffix} https://upload-{AWS::StackId}[2].auth.{AWS::Region}.amazoncognito.com`,
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
      ]);
    });

    it("deploys the built page with a config.json of the stack's URLs and invalidates the cache", () => {
      const [, deployment] = single(template, 'Custom::CDKBucketDeployment');
      expect(deployment).toMatchObject({
        DestinationBucketName: { Ref: ids.bucket },
        DistributionId: { Ref: ids.distribution },
        DistributionPaths: ['/*'],
        Prune: true,
      });
      const { userPool, userPoolClient, live } = synth.stack.uploadApi;
      const pool = logicalId(defined(userPool));
      const client = logicalId(defined(userPoolClient));
      const liveApi = logicalId(defined(live).webSocketApi);
      const [domain] = single(template, 'AWS::Cognito::UserPoolDomain');
      const hostedUi = `https://{${domain}}.auth.{AWS::Region}.amazoncognito.com`;
      expect(deployedConfig(synth)).toEqual({
        apiUrl: `{${ids.httpApi}.ApiEndpoint}`,
        liveUrl: `wss://{${liveApi}}.execute-api.{AWS::Region}.{AWS::URLSuffix}/live`,
        oidc: {
          issuer: `https://cognito-idp.{AWS::Region}.amazonaws.com/{${pool}}`,
          authorizationEndpoint: `${hostedUi}/oauth2/authorize`,
          tokenEndpoint: `${hostedUi}/oauth2/token`,
          logoutEndpoint: `${hostedUi}/logout`,
          clientId: `{${client}}`,
          scope: 'openid email',
          redirectUri: `https://{${ids.distribution}.DomainName}/`,
        },
      });
    });

    it('adds the page origin to the CORS of the HTTP API, the functions and the uploads bucket', () => {
      const siteOrigin = {
        'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [ids.distribution, 'DomainName'] }]],
      };
      const resources = resourcesOf(template);
      expect(resources[ids.httpApi]?.Properties.CorsConfiguration).toMatchObject({
        AllowOrigins: ['https://app.example.com', siteOrigin],
      });
      for (const fn of Object.values(synth.stack.uploadApi.functions)) {
        const env = resources[logicalId(fn)]?.Properties.Environment as {
          Variables: Record<string, unknown>;
        };
        expect(render(env.Variables.CORS_ALLOWED_ORIGINS)).toBe(
          `https://app.example.com,https://{${ids.distribution}.DomainName}`,
        );
      }
      const uploads = resources[logicalId(synth.stack.uploadApi.bucket)]?.Properties;
      expect(uploads?.CorsConfiguration).toMatchObject({
        CorsRules: [{ AllowedOrigins: ['https://app.example.com', siteOrigin] }],
      });
    });

    it('gives the pool a hosted UI and the client the code grant back to the page', () => {
      const [, domain] = single(template, 'AWS::Cognito::UserPoolDomain');
      expect(render(domain.Domain)).toBe('upload-{AWS::StackId}[2]');
      const siteUrl = {
        'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [ids.distribution, 'DomainName'] }, '/']],
      };
      const [clientId, client] = single(template, 'AWS::Cognito::UserPoolClient');
      expect(client).toMatchObject({
        GenerateSecret: false,
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthScopes: ['openid', 'email'],
        SupportedIdentityProviders: ['COGNITO'],
        CallbackURLs: [siteUrl],
        LogoutURLs: [siteUrl],
      });
      // Cognito access tokens name the client in `client_id`: both authorizers accept it.
      const jwtAuthorizers = Object.values(resourcesOf(template)).filter(
        (r) => r.Type === 'AWS::ApiGatewayV2::Authorizer' && r.Properties.AuthorizerType === 'JWT',
      );
      expect(jwtAuthorizers.map((r) => r.Properties.JwtConfiguration)).toEqual([
        expect.objectContaining({ Audience: [{ Ref: clientId }] }),
      ]);
      const liveAuthorizer = defined(synth.stack.uploadApi.live).functions.authorizer.function;
      const env = resourcesOf(template)[logicalId(liveAuthorizer)]?.Properties.Environment;
      expect(env).toMatchObject({ Variables: { LIVE_JWT_AUDIENCE: { Ref: clientId } } });
    });

    it('outputs the page URL', () => {
      const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
      expect(render(outputs.SiteUrl?.Value)).toBe(`https://{${ids.distribution}.DomainName}/`);
    });
  });

  it('leaves everything of the page out when `site` is off', () => {
    const { template } = synthesize({});
    for (const type of [
      'AWS::CloudFront::Distribution',
      'AWS::CloudFront::OriginAccessControl',
      'AWS::CloudFront::ResponseHeadersPolicy',
      'Custom::CDKBucketDeployment',
      'AWS::Cognito::UserPoolDomain',
    ]) {
      template.resourceCountIs(type, 0);
    }
    template.resourceCountIs('AWS::S3::Bucket', 2);
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('SiteUrl');
    const [, client] = single(template, 'AWS::Cognito::UserPoolClient');
    expect(JSON.stringify(client)).not.toContain('Distribution');
    // No OAuth flow at all (CDK's default would allow the implicit grant to a placeholder URL).
    expect(client).toMatchObject({ AllowedOAuthFlowsUserPoolClient: false });
    expect(JSON.stringify(client)).not.toContain('implicit');
  });

  it('takes a chosen hosted UI prefix and keeps "*" origins as they are', () => {
    const synth = synthesize({ site: { signInDomainPrefix: 'acme-uploads' } });
    const [, domain] = single(synth.template, 'AWS::Cognito::UserPoolDomain');
    expect(domain.Domain).toBe('acme-uploads');
    expect(CSP_OF(synth.template)).toContain(
      'https://acme-uploads.auth.{AWS::Region}.amazoncognito.com;',
    );
    const api = resourcesOf(synth.template)[logicalId(synth.stack.uploadApi.httpApi)];
    expect(api?.Properties.CorsConfiguration).toMatchObject({ AllowOrigins: ['*'] });
  });

  describe('with an external OIDC provider', () => {
    const external = { jwtIssuer: 'https://login.example.com/', jwtAudience: ['upload-api'] };

    it('leaves sign-in out of config.json without a client id: the page asks for a token', () => {
      const synth = synthesize({ ...external, site: true, live: false });
      synth.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
      expect(deployedConfig(synth)).toEqual({
        apiUrl: `{${logicalId(synth.stack.uploadApi.httpApi)}.ApiEndpoint}`,
      });
      expect(CSP_OF(synth.template)).not.toMatch(/amazoncognito|https: /);
    });

    it('signs in with the given client through discovery, on any https host', () => {
      const synth = synthesize({ ...external, site: { signInClientId: 'upload-page' } });
      const distribution = logicalId(defined(synth.stack.uploadApi.site).distribution);
      expect(deployedConfig(synth)).toMatchObject({
        oidc: {
          issuer: 'https://login.example.com/',
          clientId: 'upload-page',
          redirectUri: `https://{${distribution}.DomainName}/`,
        },
      });
      expect(CSP_OF(synth.template)).toMatch(/connect-src [^;]* https:;/);
    });
  });

  it('builds the page with web/build.ts into the asset directory', () => {
    const out = mkdtempSync(join(tmpdir(), 'upload-site-'));
    try {
      expect(buildPage(out)).toBe(true);
      expect(readdirSync(out).sort()).toEqual(['app.js', 'index.html', 'style.css']);
      expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('src="app.js"');
      expect(existsSync(join(out, 'config.json'))).toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
