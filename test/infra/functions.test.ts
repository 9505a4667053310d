import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OBJECT_KEY_PREFIX } from '../../infra/route-access.ts';
import { defaultPolicy, policyEnvironment } from '../../infra/upload-api-props.ts';
import { loadConfig } from '../../src/config.ts';
import { buildObjectKey } from '../../src/domain/object-key.ts';
import { ROUTES, type RouteId } from '../../src/http/routes.ts';
import { type Grants, grantsByResource } from './support/grants.ts';
import { logicalId, removeOutdirs, type Synthesized, synthesize } from './support/synth.ts';

const GET = 'dynamodb:GetItem';
const UPDATE = 'dynamodb:UpdateItem';
const QUERY = 'dynamodb:Query';
const LIST_PARTS = 's3:ListMultipartUploadParts';
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

/** The reviewed least-privilege table, written out independently of infra/route-access.ts. */
const EXPECTED_GRANTS: Record<RouteId, Grants> = {
  initiate: {
    table: [GET, 'dynamodb:PutItem'],
    objects: ['s3:AbortMultipartUpload', 's3:PutObject'],
  },
  chunkUrls: { table: [GET], objects: ['s3:PutObject'] },
  recordChunk: { table: [GET, UPDATE], objects: [LIST_PARTS] },
  recordChunks: { table: [GET, UPDATE], objects: [LIST_PARTS] },
  progress: { table: [GET] },
  resume: { table: [GET, QUERY, UPDATE], objects: [LIST_PARTS] },
  complete: {
    table: [GET, QUERY, UPDATE],
    objects: ['s3:DeleteObject', 's3:GetObject', LIST_PARTS, 's3:PutObject'],
    bucket: ['s3:ListBucket'],
  },
  cancel: { table: [GET, UPDATE], objects: ['s3:AbortMultipartUpload', 's3:DeleteObject'] },
  getUpload: { table: [GET] },
  download: { table: [GET], objects: ['s3:GetObject'] },
  listUploads: { index: ['dynamodb:Query'] },
  deleteFile: { table: [GET, UPDATE], objects: ['s3:DeleteObject'] },
};

const ENCRYPT = ['kms:Decrypt', 'kms:GenerateDataKey'];
const EXPECTED_KEY_GRANTS: Record<RouteId, string[] | undefined> = {
  initiate: ENCRYPT,
  chunkUrls: ENCRYPT,
  recordChunk: ['kms:Decrypt'],
  recordChunks: ['kms:Decrypt'],
  progress: undefined,
  resume: ['kms:Decrypt'],
  complete: ENCRYPT,
  cancel: undefined,
  getUpload: undefined,
  download: ['kms:Decrypt'],
  listUploads: undefined,
  deleteFile: undefined,
};

describe('functions', () => {
  afterAll(removeOutdirs);

  let synth: Synthesized;
  let template: Template;
  const resources = () => template.toJSON().Resources;
  const fnProps = (fn: NodejsFunction) => resources()[logicalId(fn)].Properties;
  const logGroupOf = (fn: NodejsFunction) => fnProps(fn).LoggingConfig.LogGroup.Ref as string;
  const targetsOf = (s: Synthesized, fn: NodejsFunction) => ({
    table: logicalId(s.stack.uploadApi.table),
    bucket: logicalId(s.stack.uploadApi.bucket),
    logGroup: logGroupOf(fn),
  });

  beforeAll(() => {
    // The one synth with real esbuild bundling: the bundles themselves are checked below.
    synth = synthesize(undefined, { bundle: true });
    template = synth.template;
  });

  it('has one function per route of ROUTES, the cleanup function and the live functions', () => {
    const fns = synth.stack.uploadApi.functions;
    const live = Object.values(synth.stack.uploadApi.live?.functions ?? {}).map((f) => f.function);
    expect(Object.keys(fns).sort()).toEqual(ROUTES.map((r) => r.id).sort());
    expect(live).toHaveLength(5);
    template.resourceCountIs('AWS::Lambda::Function', ROUTES.length + 1 + live.length);
    const ids = new Set(
      [...Object.values(fns), synth.stack.uploadApi.cleanupFunction, ...live].map(logicalId),
    );
    expect(ids.size).toBe(ROUTES.length + 1 + live.length);
  });

  it.each(ROUTES)(
    '$id runs Node.js 24 on arm64 with its timeout, memory and a one-month log group',
    (route) => {
      const fn = synth.stack.uploadApi.functions[route.id];
      expect(fnProps(fn)).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: route.id === 'complete' ? 60 : 10,
        MemorySize: 512,
      });
      expect(fnProps(fn).TracingConfig).toBeUndefined();
      expect(resources()[logGroupOf(fn)]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
        DeletionPolicy: 'Retain',
      });
    },
  );

  it('gives the cleanup function Node.js 24 on arm64, 60 s, 256 MB and a one-month log group', () => {
    const fn = synth.stack.uploadApi.cleanupFunction;
    expect(fnProps(fn)).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 60,
      MemorySize: 256,
    });
    expect(resources()[logGroupOf(fn)].Properties).toEqual({ RetentionInDays: 30 });
  });

  describe('environment', () => {
    it('names the table and bucket and carries the policy the functions parse back unchanged', () => {
      const policyEnv = policyEnvironment(defaultPolicy());
      for (const fn of Object.values(synth.stack.uploadApi.functions)) {
        const env = fnProps(fn).Environment.Variables;
        expect(env).toEqual({
          UPLOADS_TABLE: { Ref: logicalId(synth.stack.uploadApi.table) },
          UPLOADS_BUCKET: { Ref: logicalId(synth.stack.uploadApi.bucket) },
          CORS_ALLOWED_ORIGINS: '*',
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'upload-api',
          POWERTOOLS_METRICS_NAMESPACE: 'UploadApi',
          ...policyEnv,
        });
        const config = loadConfig({ ...env, UPLOADS_TABLE: 't', UPLOADS_BUCKET: 'b' });
        expect(config.policy).toEqual(defaultPolicy());
      }
    });

    it('round-trips a non-default policy through the environment', () => {
      const policy = {
        defaultChunkSize: 8 * 1024 * 1024,
        maxFileSize: 1024 ** 4,
        sessionTtlSeconds: 3 * 86_400,
        urlExpirySeconds: 600,
        downloadUrlExpirySeconds: 300,
        maxLiveSessionsPerUser: 5,
        allowedContentTypes: ['image/*', 'video/mp4'],
        completionWaitMs: 5000,
        completionStaleSeconds: 300,
        uploadedRetentionSeconds: 86_400,
      };
      const env = policyEnvironment(policy);
      expect(loadConfig({ ...env, UPLOADS_TABLE: 't', UPLOADS_BUCKET: 'b' }).policy).toEqual(
        policy,
      );
    });

    it('keeps uploaded files forever by default and passes a retention prop on to every route', () => {
      for (const fn of Object.values(synth.stack.uploadApi.functions)) {
        expect(fnProps(fn).Environment.Variables.UPLOADED_RETENTION_SECONDS).toBeUndefined();
      }
      const retained = synthesize({ policy: { uploadedRetentionSeconds: 7 * 86_400 } });
      const props = (fn: NodejsFunction) =>
        retained.template.toJSON().Resources[logicalId(fn)].Properties;
      for (const fn of Object.values(retained.stack.uploadApi.functions)) {
        const env = props(fn).Environment.Variables;
        expect(env.UPLOADED_RETENTION_SECONDS).toBe('604800');
        expect(
          loadConfig({ ...env, UPLOADS_TABLE: 't', UPLOADS_BUCKET: 'b' }).policy,
        ).toMatchObject({ uploadedRetentionSeconds: 604_800 });
      }
    });

    it('gives the cleanup function only the bucket name and the metrics namespace', () => {
      expect(fnProps(synth.stack.uploadApi.cleanupFunction).Environment.Variables).toEqual({
        UPLOADS_BUCKET: { Ref: logicalId(synth.stack.uploadApi.bucket) },
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'upload-api',
        POWERTOOLS_METRICS_NAMESPACE: 'UploadApi',
      });
    });
  });

  describe('bundles', () => {
    const bundleDir = (fn: NodejsFunction) => {
      const path = (fn.node.findChild('Code') as Asset).assetPath;
      return isAbsolute(path) ? path : join(synth.app.outdir, path);
    };
    const handlers = () => [
      ...ROUTES.map((r) => [r.handler, synth.stack.uploadApi.functions[r.id]] as const),
      ['cleanup-expired', synth.stack.uploadApi.cleanupFunction] as const,
    ];

    it('bundles each function from functions/<handler>.ts and no other handler', () => {
      const allHandlers: string[] = handlers().map(([h]) => h);
      for (const [handler, fn] of handlers()) {
        const map = JSON.parse(readFileSync(join(bundleDir(fn), 'index.mjs.map'), 'utf8'));
        const entries = (map.sources as string[])
          .map((s) => /(?:^|\/)functions\/([\w-]+)\.ts$/.exec(s)?.[1])
          .filter((h): h is string => h !== undefined && allHandlers.includes(h));
        expect(entries, handler).toEqual([handler]);
      }
    });

    it('emits ESM with the require shim that loads on Node.js 24 at cold start', () => {
      for (const [handler, fn] of handlers()) {
        const file = join(bundleDir(fn), 'index.mjs');
        // Only @aws-sdk/* stays external: the Lambda runtime provides it, as this link does here.
        provideRuntimeSdk(dirname(bundleDir(fn)));
        expect(existsSync(file), handler).toBe(true);
        expect(readFileSync(file, 'utf8')).toMatch(
          /^import \{ createRequire as __cdkCreateRequire \}/,
        );
        const out = execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler, process.versions.node.split('.')[0]);`,
          ],
          {
            encoding: 'utf8',
            env: {
              PATH: process.env.PATH,
              UPLOADS_TABLE: 't',
              UPLOADS_BUCKET: 'b',
              AWS_REGION: 'eu-west-1',
            },
          },
        );
        expect(out.trim(), handler).toBe('function 24');
      }
    });
  });

  describe('least privilege', () => {
    it('keeps every object grant inside the prefix the API writes keys under', () => {
      for (const user of ['alice', '../bob', 'carol.smith', 'd/e']) {
        expect(buildObjectKey(user, 'file-1', '../../x.bin').startsWith(OBJECT_KEY_PREFIX)).toBe(
          true,
        );
      }
    });

    it.each(ROUTES)('$id may do exactly what its use case needs', (route) => {
      const fn = synth.stack.uploadApi.functions[route.id];
      expect(grantsByResource(template, logicalId(fn), targetsOf(synth, fn))).toEqual({
        ...EXPECTED_GRANTS[route.id],
        logs: LOGS,
      });
    });

    it('gives the read-only routes no S3 and no DynamoDB writes', () => {
      for (const id of ['progress', 'getUpload'] as const) {
        const fn = synth.stack.uploadApi.functions[id];
        const grants = grantsByResource(template, logicalId(fn), targetsOf(synth, fn));
        const actions = Object.values(grants).flat();
        expect(actions.filter((a) => a.startsWith('s3:'))).toEqual([]);
        expect(actions).not.toContain(UPDATE);
        expect(actions).not.toContain('dynamodb:PutItem');
      }
      const list = synth.stack.uploadApi.functions.listUploads;
      const listGrants = grantsByResource(template, logicalId(list), targetsOf(synth, list));
      expect(listGrants.table).toBeUndefined();
    });

    it('gives each function its own role without managed policies', () => {
      const fns = [
        ...Object.values(synth.stack.uploadApi.functions),
        synth.stack.uploadApi.cleanupFunction,
      ];
      const roles = new Set(fns.map((fn) => fnProps(fn).Role['Fn::GetAtt'][0]));
      expect(roles.size).toBe(fns.length);
      for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });
  });

  describe('with KMS encryption', () => {
    let kms: Synthesized;
    let key: string;

    beforeAll(() => {
      kms = synthesize({ encryption: 'KMS' });
      const encryptionKey = kms.stack.uploadApi.encryptionKey;
      if (!encryptionKey) throw new Error('expected a KMS key');
      key = logicalId(encryptionKey);
    });

    it('encrypts the bucket with a rotating customer managed key and S3 Bucket Keys', () => {
      kms.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      expect(
        kms.template.toJSON().Resources[logicalId(kms.stack.uploadApi.bucket)].Properties
          .BucketEncryption,
      ).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [key, 'Arn'] },
            },
          },
        ],
      });
    });

    it.each(ROUTES)('$id may use the key only as its S3 calls need', (route) => {
      const fn = kms.stack.uploadApi.functions[route.id];
      const grants = grantsByResource(kms.template, logicalId(fn), { ...targetsOf(kms, fn), key });
      const { key: keyGrants, ...rest } = grants;
      expect(keyGrants).toEqual(EXPECTED_KEY_GRANTS[route.id]);
      expect(rest).toEqual({ ...EXPECTED_GRANTS[route.id], logs: LOGS });
    });

    it('gives the cleanup function no key access (aborting needs none)', () => {
      const fn = kms.stack.uploadApi.cleanupFunction;
      const grants = grantsByResource(kms.template, logicalId(fn), { ...targetsOf(kms, fn), key });
      expect(grants.key).toBeUndefined();
    });
  });
});

function provideRuntimeSdk(assemblyDir: string): void {
  const link = join(assemblyDir, 'node_modules', '@aws-sdk');
  if (existsSync(link)) return;
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(resolve('node_modules/@aws-sdk'), link, 'dir');
}
