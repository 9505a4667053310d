import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import type { UploadApiProps } from '../../infra/upload-api-construct.ts';
import { UploadApiStack } from '../../infra/upload-api-stack.ts';
import { cdkContext, removeOutdirs, temporaryOutdir } from './support/synth.ts';

/** The app as infra/app.ts builds it: cdk-nag's AwsSolutions pack as a validation plugin. */
function nagApp(uploadApi: UploadApiProps): App {
  const app = new App({
    outdir: temporaryOutdir(),
    context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] },
  });
  new UploadApiStack(app, 'UploadApi', { uploadApi });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return app;
}

const findings = (app: App) =>
  new AwsSolutionsChecks().validateScope(app).violations.map((v) => ({
    rule: v.ruleName,
    severity: v.severity,
    at: v.violatingResources.map((r) => r.constructPath),
  }));

/** Every acknowledgement in the tree: rule id, where, and why. */
function acknowledgements(root: IConstruct): { id: string; path: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          id: id.replace(/^annotation::/i, ''),
          path: c.node.path,
          reason,
        })),
      ),
  );
}

const VARIANTS: [string, UploadApiProps][] = [
  ['the defaults', {}],
  [
    'KMS, an existing OIDC provider, tracing and DESTROY',
    {
      encryption: 'KMS',
      jwtIssuer: 'https://login.example.com/',
      jwtAudience: ['upload-api'],
      tracing: true,
      removalPolicy: RemovalPolicy.DESTROY,
      transferAcceleration: true,
      allowedOrigins: ['https://app.example.com'],
    },
  ],
  ['the upload page with hosted sign-in', { site: true }],
  [
    'the upload page with an external OIDC provider',
    {
      jwtIssuer: 'https://login.example.com/',
      jwtAudience: ['upload-api'],
      allowedOrigins: ['https://app.example.com'],
      site: { signInClientId: 'upload-page' },
    },
  ],
];

/** Acknowledged rule ids, with the first `<...>` of each written `<Bucket>`. */
const acknowledgedIds = (app: App) =>
  [...new Set(acknowledgements(app).map((a) => a.id.replace(/<[^>]+>/, '<Bucket>')))].sort();

/**
 * CDK creates BucketDeployment's provider function once per stack, at the stack's root; its
 * acknowledgement can sit no deeper.
 */
const CDK_PROVIDER = /^UploadApi\/Custom::CDKBucketDeployment[0-9A-F]+\/Resource$/;

describe('cdk-nag AwsSolutions', () => {
  afterAll(removeOutdirs);

  it.each(VARIANTS)('finds no unacknowledged error or warning with %s', (_, props) => {
    const app = nagApp(props);
    expect(findings(app)).toEqual([]);
    // The same check as `cdk synth`: the plugin runs during synthesis and fails it on errors.
    const assembly = app.synth();
    const report = JSON.parse(
      readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'),
    );
    expect(report.pluginReports).toEqual([]);
  });

  it('acknowledges only the known findings, each with a specific reason', () => {
    const app = nagApp({ tracing: true });
    const acks = acknowledgements(app);
    for (const ack of acks) {
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(40);
    }
    expect(acknowledgedIds(app)).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-COG8',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<Bucket>/uploads/*]',
      'AwsSolutions-IAM5[Resource::arn:<Bucket>:execute-api:<AWS::Region>:<AWS::AccountId>:<UploadApiLiveApiCD7AF7E5>/live/POST/@connections/*]',
      'AwsSolutions-S1',
      'AwsSolutions-SQS3',
    ]);
    // Scoped to the resources they concern, never to the stack or the app.
    for (const ack of acks) expect(ack.path.split('/').length, ack.id).toBeGreaterThan(3);
  });

  it('acknowledges only these findings of the upload page, each with a specific reason', () => {
    const withoutSite = new Set(acknowledgedIds(nagApp({ tracing: true })));
    const app = nagApp({ tracing: true, site: true });
    const acks = acknowledgements(app);
    for (const ack of acks) {
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(40);
    }
    expect(acknowledgedIds(app).filter((id) => !withoutSite.has(id))).toEqual([
      'AwsSolutions-CFR1',
      'AwsSolutions-CFR2',
      'AwsSolutions-CFR4',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Resource::<Bucket>/*]',
      'AwsSolutions-IAM5[Resource::arn:<Bucket>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      'AwsSolutions-L1',
    ]);
    for (const ack of acks) {
      if (CDK_PROVIDER.test(ack.path)) expect(ack.id).toBe('AwsSolutions-L1');
      else expect(ack.path.split('/').length, ack.id).toBeGreaterThan(3);
    }
  });

  it('still fails synthesis on a finding nobody acknowledged', () => {
    const app = nagApp({});
    new Bucket(app.node.findChild('UploadApi'), 'Unreviewed');
    expect(findings(app).map((f) => f.rule)).toContain('AwsSolutions-S10');
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });
});
