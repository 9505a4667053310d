import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AssetHashType,
  Aws,
  type CfnElement,
  DockerImage,
  Duration,
  Fn,
  Names,
  type RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  type PriceClass,
  ResponseHeadersPolicy,
  S3OriginAccessControl,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { PageConfig } from '../web/config.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const webDir = join(repoRoot, 'web');

export interface UploadSiteProps {
  readonly priceClass: PriceClass;
  readonly removalPolicy: RemovalPolicy;
  /** Of the deployment function's logs. */
  readonly logRetention: RetentionDays;
  /**
   * What the page's sign-in fetches besides the stack's own endpoints (CSP `connect-src`
   * sources): the Cognito hosted UI's origin, or `https:` for an external provider.
   */
  readonly signInSources: readonly string[];
}

/**
 * The upload page (web/) on a private bucket behind CloudFront (origin access control), with
 * security headers and logs. `publish` deploys the page, built at synth time, with its
 * config.json; the site is built first because the API's CORS names its origin.
 */
export class UploadSite extends Construct {
  readonly bucket: Bucket;
  /** CloudFront standard logs and the site bucket's server access logs. */
  readonly logsBucket: Bucket;
  readonly distribution: Distribution;
  /** `https://<distribution domain>`, for CORS. */
  readonly origin: string;
  /** `https://<distribution domain>/`, the page's address and the sign-in redirect URI. */
  readonly url: string;
  private readonly props: UploadSiteProps;

  constructor(scope: Construct, id: string, props: UploadSiteProps) {
    super(scope, id);
    this.props = props;
    const { removalPolicy } = props;

    this.logsBucket = new Bucket(this, 'LogsBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      // CloudFront standard logs are delivered with an ACL grant, so ACLs must stay enabled.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy,
    });
    Validations.of(this.logsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the server access log target; logging it to itself would loop.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: 'site-bucket/',
      removalPolicy,
    });

    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      responseHeadersPolicyName: regionalName(this, 'Headers', 128),
      comment: 'Upload page: CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: contentSecurityPolicy(props.signInSources),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        // The sign-in's `?code=` is in the address until the page removes it.
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        // `X-XSS-Protection: 0`: the legacy filter is a risk of its own; the CSP does the work.
        xssProtection: { protection: false, override: true },
      },
    });

    const originAccessControl = new S3OriginAccessControl(this, 'OriginAccessControl', {
      originAccessControlName: regionalName(this, 'Oac', 64),
      description: 'CloudFront reads the upload page from its private bucket',
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Resumable upload API: upload page',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket, { originAccessControl }),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass,
      enableLogging: true,
      logBucket: this.logsBucket,
      logFilePrefix: 'cloudfront/',
    });
    acknowledgeDistributionFindings(this.distribution);

    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.url = `${this.origin}/`;
  }

  /** Deploys the page and its config.json; every deployment invalidates CloudFront's copies. */
  publish(config: PageConfig): BucketDeployment {
    // Like UploadFunction: its own log group, and a role that may write only there.
    const logGroup = new LogGroup(this, 'DeploymentLogs', {
      retention: this.props.logRetention,
      removalPolicy: this.props.removalPolicy,
    });
    const role = new Role(this, 'DeploymentRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Deploys the upload page: writes its own logs; S3 and CloudFront grants by CDK',
    });
    logGroup.grantWrite(role);
    const deployment = new BucketDeployment(this, 'Page', {
      sources: [pageAsset(), Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      role,
      logGroup,
      // The files keep their names across releases: browsers revalidate each load (a 304 from
      // the edge), the edge keeps them until the next deployment's invalidation.
      cacheControl: [
        CacheControl.setPublic(),
        CacheControl.maxAge(Duration.seconds(0)),
        CacheControl.sMaxAge(Duration.days(1)),
      ],
    });
    this.acknowledgeDeploymentFindings(role);
    return deployment;
  }

  /**
   * BucketDeployment writes these grants and runs CDK's own provider function; it offers no
   * narrower grant and no runtime choice.
   */
  private acknowledgeDeploymentFindings(role: Role): void {
    const acknowledge = (id: string, reason: string) =>
      Validations.of(role).acknowledge({ id, reason });
    for (const action of ['GetBucket*', 'GetObject*', 'List*', 'Abort*', 'DeleteObject*']) {
      acknowledge(
        `AwsSolutions-IAM5[Action::s3:${action}]`,
        "BucketDeployment's own grants (read the staged page, sync and prune the site bucket) name these action groups; it takes no narrower list.",
      );
    }
    acknowledge(
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      "BucketDeployment reads the page's staged zips from the CDK bootstrap asset bucket and grants read on its objects; the keys are content hashes.",
    );
    acknowledge(
      `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.bucket)}.Arn>/*]`,
      'The deployment writes and prunes every object of the site bucket, which holds nothing but the page.',
    );
    acknowledge(
      'AwsSolutions-IAM5[Resource::*]',
      "BucketDeployment grants cloudfront:CreateInvalidation and GetInvalidation without a resource; it only invalidates this site's distribution (DistributionId).",
    );
    const provider = Stack.of(this)
      .node.children.filter((c) => c instanceof LambdaFunction)
      .find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (provider?.node.defaultChild) {
      Validations.of(provider.node.defaultChild).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          "BucketDeployment's provider is CDK's Python function with the AWS CLI layer; CDK pins its runtime and offers no choice.",
      });
    }
  }
}

const logicalIdOf = (construct: Construct): string =>
  Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

/**
 * Exact hosts for the API, the live channel and the uploads bucket would make a dependency cycle
 * (their CORS names this distribution's domain, so its headers cannot name theirs): `connect-src`
 * allows those services in the stack's region instead.
 */
function contentSecurityPolicy(signInSources: readonly string[]): string {
  const regional = (service: string) => `*.${service}.${Aws.REGION}.${Aws.URL_SUFFIX}`;
  const connect = [
    "'self'",
    `https://${regional('execute-api')}`,
    `wss://${regional('execute-api')}`,
    `https://${regional('s3')}`,
    // us-east-1 buckets may also be addressed without the region.
    `https://*.s3.${Aws.URL_SUFFIX}`,
    ...signInSources,
  ];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The built page (web/build.ts), bundled at synth time in this process's Node, never Docker. */
function pageAsset() {
  return Source.asset(webDir, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('none'), // never used: local bundling always answers
      local: { tryBundle: (outputDir) => buildPage(outputDir) },
    },
  });
}

/** Runs web/build.ts into `outputDir`; throws when the build fails. */
export function buildPage(outputDir: string): true {
  const build = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(webDir, 'build.ts'), '--out', outputDir],
    { cwd: repoRoot, stdio: 'inherit' },
  );
  if (build.status !== 0) {
    throw new Error(
      `web/build.ts failed (${build.error?.message ?? `exit ${build.status ?? build.signal}`})`,
    );
  }
  // The deployment writes the real config.json; the example is for hand-made hosting.
  rmSync(join(outputDir, 'config.example.json'), { force: true });
  return true;
}

/**
 * CloudFront names are global to the account: the region keeps the same stack deployed in two
 * regions apart.
 */
const regionalName = (scope: Construct, suffix: string, maxLength: number): string =>
  Fn.join('-', [
    Names.uniqueResourceName(scope, { maxLength: maxLength - 16 - suffix.length }),
    suffix,
    Aws.REGION,
  ]);

function acknowledgeDistributionFindings(distribution: Distribution): void {
  const acknowledge = (id: string, reason: string) =>
    Validations.of(distribution).acknowledge({ id, reason });
  acknowledge(
    'AwsSolutions-CFR1',
    'The page is for every user the identity provider admits, wherever they are; the construct cannot know which countries to refuse.',
  );
  acknowledge(
    'AwsSolutions-CFR2',
    'The distribution serves four static files; every API call needs a JWT and is throttled at the stage. A CloudFront web ACL (us-east-1, billed monthly) is left to the operator.',
  );
  acknowledge(
    'AwsSolutions-CFR4',
    "Without a custom domain the distribution uses CloudFront's default *.cloudfront.net certificate, whose minimum protocol CloudFront fixes at TLSv1.",
  );
}
