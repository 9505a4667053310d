import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UploadApi, type UploadApiProps } from '../../infra/upload-api-construct.ts';
import {
  defaultPolicy,
  resolveUploadApiProps,
  UploadApiPropsError,
} from '../../infra/upload-api-props.ts';
import { logicalId, removeOutdirs, type Synthesized, synthesize } from './support/synth.ts';

const MIB = 1024 * 1024;

function problemsOf(props: UploadApiProps): string {
  try {
    resolveUploadApiProps(props);
  } catch (error) {
    expect(error).toBeInstanceOf(UploadApiPropsError);
    return (error as Error).message;
  }
  throw new Error('expected the props to be rejected');
}

describe('UploadApi props', () => {
  afterAll(removeOutdirs);

  it('defaults to the application defaults documented in the README', () => {
    const resolved = resolveUploadApiProps();
    expect(resolved).toMatchObject({
      allowedOrigins: ['*'],
      jwt: undefined,
      encryption: 'S3_MANAGED',
      encryptionKey: undefined,
      transferAcceleration: false,
      removalPolicy: RemovalPolicy.RETAIN,
      throttle: { rateLimit: 100, burstLimit: 200 },
      tracing: false,
      logRetention: RetentionDays.ONE_MONTH,
      memorySize: 512,
      bundleAwsSdk: false,
      metricsNamespace: 'UploadApi',
    });
    expect(resolved.policy).toEqual(defaultPolicy());
    expect(defaultPolicy()).toEqual({
      defaultChunkSize: 5 * MIB,
      maxFileSize: 5 * 1024 ** 4,
      sessionTtlSeconds: 86_400,
      urlExpirySeconds: 900,
      downloadUrlExpirySeconds: 900,
      maxLiveSessionsPerUser: 20,
      allowedContentTypes: ['*'],
      completionWaitMs: 10_000,
      completionStaleSeconds: 120,
      uploadedRetentionSeconds: undefined,
    });
  });

  it('implies KMS encryption when a key is given', () => {
    const stack = new Stack(new App(), 'Keys');
    const key = new Key(stack, 'Key');
    expect(resolveUploadApiProps({ encryptionKey: key }).encryption).toBe('KMS');
  });

  it('accepts exact origins, including local development ones', () => {
    const allowedOrigins = ['https://app.example.com', 'http://localhost:3000'];
    expect(resolveUploadApiProps({ allowedOrigins }).allowedOrigins).toEqual(allowedOrigins);
  });

  it.each<[string, UploadApiProps, RegExp]>([
    ['no origins', { allowedOrigins: [] }, /allowedOrigins must not be empty/],
    ['an origin with a path', { allowedOrigins: ['https://a.example/'] }, /allowedOrigins must be/],
    [
      'a wildcard subdomain',
      { allowedOrigins: ['https://*.example.com'] },
      /allowedOrigins must be/,
    ],
    ['"*" among origins', { allowedOrigins: ['*', 'https://a.example'] }, /cannot be combined/],
    [
      'an issuer without audience',
      { jwtIssuer: 'https://issuer.example' },
      /jwtAudience must list/,
    ],
    ['an audience without issuer', { jwtAudience: ['client'] }, /jwtIssuer must be an https URL/],
    ['a plain-http issuer', { jwtIssuer: 'http://i.example', jwtAudience: ['c'] }, /https URL/],
    ['a zero burst limit', { throttle: { rateLimit: 10, burstLimit: 0 } }, /burstLimit/],
    ['too little memory', { memorySize: 64 }, /memorySize/],
    ['a reserved metrics namespace', { metricsNamespace: 'AWS/Lambda' }, /metricsNamespace/],
    ['an empty metrics namespace', { metricsNamespace: '' }, /metricsNamespace/],
    ['a tiny default chunk', { policy: { defaultChunkSize: MIB } }, /defaultChunkSize/],
    ['a file beyond 10,000 x 5 GiB', { policy: { maxFileSize: 2 ** 56 } }, /maxFileSize/],
    ['URLs beyond 7 days', { policy: { urlExpirySeconds: 8 * 86_400 } }, /at most 7 days/],
    ['a wait beyond the API timeout', { policy: { completionWaitMs: 25_000 } }, /completionWaitMs/],
    [
      'a stale window inside the complete timeout',
      { policy: { completionStaleSeconds: 60 } },
      /completionStaleSeconds/,
    ],
    [
      'a fractional TTL',
      { policy: { sessionTtlSeconds: 1.5 } },
      /sessionTtlSeconds must be an integer/,
    ],
    [
      'a zero uploaded-file retention',
      { policy: { uploadedRetentionSeconds: 0 } },
      /uploadedRetentionSeconds must be an integer/,
    ],
    [
      'a content type with a comma',
      { policy: { allowedContentTypes: ['a/b,c/d'] } },
      /allowedContentTypes/,
    ],
    [
      'an uppercase sign-in domain prefix',
      { site: { signInDomainPrefix: 'Uploads' } },
      /signInDomainPrefix must be/,
    ],
    [
      'a sign-in domain prefix with a reserved word',
      { site: { signInDomainPrefix: 'my-aws-uploads' } },
      /signInDomainPrefix must be/,
    ],
    [
      'a sign-in domain prefix ending in a hyphen',
      { site: { signInDomainPrefix: 'uploads-' } },
      /signInDomainPrefix must be/,
    ],
    [
      'a sign-in domain prefix with an external issuer',
      {
        jwtIssuer: 'https://login.example.com/',
        jwtAudience: ['upload-api'],
        site: { signInDomainPrefix: 'uploads' },
      },
      /signInDomainPrefix .*not with jwtIssuer/,
    ],
    [
      'a sign-in client id without an external issuer',
      { site: { signInClientId: 'page' } },
      /signInClientId requires jwtIssuer/,
    ],
  ])('rejects %s', (_, props, message) => {
    expect(problemsOf(props)).toMatch(message);
  });

  it('names every problem at once', () => {
    const message = problemsOf({
      allowedOrigins: [],
      memorySize: 1,
      policy: { urlExpirySeconds: 0 },
    });
    expect(message).toMatch(/allowedOrigins.*memorySize.*urlExpirySeconds/);
  });

  it('rejects an explicit key with S3-managed encryption', () => {
    const stack = new Stack(new App(), 'Keys');
    const encryptionKey = new Key(stack, 'Key');
    expect(problemsOf({ encryption: 'S3_MANAGED', encryptionKey })).toMatch(
      /encryptionKey requires/,
    );
  });

  it('fails the construct before building anything', () => {
    const stack = new Stack(new App(), 'Invalid');
    expect(() => new UploadApi(stack, 'UploadApi', { memorySize: 1 })).toThrow(UploadApiPropsError);
    expect(stack.node.findChild('UploadApi').node.children).toHaveLength(0);
  });

  describe('non-default props', () => {
    let synth: Synthesized;
    let template: Template;

    beforeAll(() => {
      synth = synthesize({
        removalPolicy: RemovalPolicy.DESTROY,
        transferAcceleration: true,
        tracing: true,
        memorySize: 1024,
        logRetention: RetentionDays.ONE_WEEK,
        policy: { sessionTtlSeconds: 60 * 3600 },
      });
      template = synth.template;
    });

    it('keeps incomplete multipart uploads at least as long as a session lives', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'abort-incomplete-multipart-uploads',
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 },
              Status: 'Enabled',
            },
          ],
        },
      });
    });

    it('turns on transfer acceleration, tracing, memory and log retention as asked', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        AccelerateConfiguration: { AccelerationStatus: 'Enabled' },
      });
      for (const fn of Object.values(synth.stack.uploadApi.functions)) {
        const props = template.toJSON().Resources[logicalId(fn)].Properties;
        expect(props.TracingConfig).toEqual({ Mode: 'Active' });
        expect(props.MemorySize).toBe(1024);
        expect(props.Environment.Variables.SESSION_TTL_SECONDS).toBe('216000');
      }
      for (const logGroup of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
        expect(logGroup.Properties.RetentionInDays).toBe(7);
      }
    });

    it('lets a DESTROY removal policy delete the stateful resources', () => {
      for (const type of ['AWS::S3::Bucket', 'AWS::DynamoDB::Table', 'AWS::Cognito::UserPool']) {
        for (const resource of Object.values(template.findResources(type))) {
          expect(resource.DeletionPolicy, type).toBe('Delete');
        }
      }
      template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    });
  });
});
