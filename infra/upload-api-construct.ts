import type { CfnStage, HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Alarm, Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ROUTES, type RouteId } from '../src/http/routes.ts';
import { CLEANUP_ACCESS, grantStorageAccess, ROUTE_ACCESS } from './route-access.ts';
import {
  COMPLETE_TIMEOUT,
  policyEnvironment,
  type ResolvedUploadApiProps,
  ROUTE_TIMEOUT,
  resolveUploadApiProps,
  type UploadApiProps,
} from './upload-api-props.ts';
import { hostedUiOrigin, UploadAuth } from './upload-auth.ts';
import { UploadCleanup } from './upload-cleanup.ts';
import { UploadFunction } from './upload-function.ts';
import { UploadHttpApi } from './upload-http-api.ts';
import { UploadLive } from './upload-live.ts';
import { SERVICE_NAME, type UploadAlarms, UploadMonitoring } from './upload-monitoring.ts';
import { UploadSite } from './upload-site.ts';
import { UploadStorage } from './upload-storage.ts';

export type { UploadApiProps } from './upload-api-props.ts';

/**
 * The resumable upload API: the bucket and ledger table, one function per route of ROUTES with
 * exactly the grants its use case needs, the HTTP API behind a JWT authorizer, the stream
 * consumer that releases the storage of expired sessions, (unless `monitoring: false`) a
 * CloudWatch dashboard with alarms (docs/runbook.md), and (with `site`) the upload page.
 */
export class UploadApi extends Construct {
  public readonly bucket: Bucket;
  public readonly table: Table;
  public readonly encryptionKey: IKey | undefined;
  public readonly httpApi: HttpApi;
  /** The route functions by route id. */
  public readonly functions: Readonly<Record<RouteId, NodejsFunction>>;
  public readonly cleanupFunction: NodejsFunction;
  /** Stream records the cleanup function kept failing on; worth an alarm. */
  public readonly cleanupFailures: Queue;
  public readonly userPool: UserPool | undefined;
  public readonly userPoolClient: UserPoolClient | undefined;
  /** The $default stage's URL; routes live under `/api/v1`. */
  public readonly apiUrl: string;
  /** The live-progress WebSocket API, unless `live: false`. */
  public readonly live: UploadLive | undefined;
  /** `wss://` URL of the live-progress channel, unless `live: false`. */
  public readonly liveUrl: string | undefined;
  /** The dashboard and alarms (docs/runbook.md); undefined with `monitoring: false`. */
  public readonly monitoring: UploadMonitoring | undefined;
  public readonly dashboard: Dashboard | undefined;
  /** The alarms by what they watch; undefined with `monitoring: false`. */
  public readonly alarms: UploadAlarms | undefined;
  /** Every alarm, in a flat list (empty with `monitoring: false`). */
  public readonly allAlarms: readonly Alarm[];
  /** The hosted upload page, with `site`. */
  public readonly site: UploadSite | undefined;
  /** `https://` address of the upload page, with `site`. */
  public readonly siteUrl: string | undefined;

  constructor(scope: Construct, id: string, props: UploadApiProps = {}) {
    super(scope, id);
    const resolved = resolveUploadApiProps(props);

    // First: the API's and the bucket's CORS name the page's origin.
    this.site = resolved.site
      ? new UploadSite(this, 'Site', {
          priceClass: resolved.site.priceClass,
          removalPolicy: resolved.removalPolicy,
          logRetention: resolved.logRetention,
          signInSources: signInSources(resolved),
        })
      : undefined;
    this.siteUrl = this.site?.url;
    const config: ResolvedUploadApiProps = {
      ...resolved,
      allowedOrigins: withOrigin(resolved.allowedOrigins, this.site?.origin),
    };

    const storage = new UploadStorage(this, 'Storage', config);
    this.bucket = storage.bucket;
    this.table = storage.table;
    this.encryptionKey = storage.encryptionKey;
    const resources = { table: this.table, bucket: this.bucket, key: this.encryptionKey };

    // src/config.ts requires both names in every function, whatever the function may touch.
    const environment = {
      UPLOADS_TABLE: this.table.tableName,
      UPLOADS_BUCKET: this.bucket.bucketName,
      CORS_ALLOWED_ORIGINS: config.allowedOrigins.join(','),
      ...policyEnvironment(config.policy),
      ...observabilityEnvironment(config),
    };
    const shared = {
      environment,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
      tracing: config.tracing,
      bundleAwsSdk: config.bundleAwsSdk,
    };

    const functions = new Construct(this, 'Functions');
    const byRoute: Partial<Record<RouteId, NodejsFunction>> = {};
    for (const route of ROUTES) {
      const fn = new UploadFunction(functions, route.id, {
        ...shared,
        handler: route.handler,
        description: `${route.method} ${route.path}: ${route.summary}`,
        timeout: route.id === 'complete' ? COMPLETE_TIMEOUT : ROUTE_TIMEOUT,
        memorySize: config.memorySize,
      });
      grantStorageAccess(fn.role, ROUTE_ACCESS[route.id], resources);
      byRoute[route.id] = fn.function;
    }
    this.functions = byRoute as Record<RouteId, NodejsFunction>;

    const cleanup = new UploadCleanup(this, 'Cleanup', {
      ...shared,
      environment: { UPLOADS_BUCKET: this.bucket.bucketName, ...observabilityEnvironment(config) },
      table: this.table,
    });
    grantStorageAccess(cleanup.handler.role, CLEANUP_ACCESS, resources);
    this.cleanupFunction = cleanup.handler.function;
    this.cleanupFailures = cleanup.failures;

    const auth = new UploadAuth(this, 'Auth', {
      ...config,
      ...(this.siteUrl ? { siteUrl: this.siteUrl } : {}),
    });
    this.userPool = auth.userPool;
    this.userPoolClient = auth.userPoolClient;

    const api = new UploadHttpApi(this, 'Api', {
      functions: this.functions,
      authorizer: auth.authorizer,
      allowedOrigins: config.allowedOrigins,
      throttle: config.throttle,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.httpApi = api.httpApi;
    this.apiUrl = api.stage.url;
    if (config.routeMetrics) {
      // The stage's detailed metrics add the Route dimension (ApiId, Stage, Route). UploadHttpApi
      // takes no prop for it, so it is set on the L1 stage, merged with the throttling settings.
      (api.stage.node.defaultChild as CfnStage).addPropertyOverride(
        'DefaultRouteSettings.DetailedMetricsEnabled',
        true,
      );
    }

    this.live = config.live
      ? new UploadLive(this, 'Live', { table: this.table, jwt: auth.jwt, functionDefaults: shared })
      : undefined;
    this.liveUrl = this.live?.url;

    this.monitoring = config.monitoring
      ? new UploadMonitoring(this, 'Monitoring', {
          stage: api.stage,
          routeMetrics: config.routeMetrics,
          functions: this.functions,
          cleanupFunction: this.cleanupFunction,
          cleanupLogGroup: cleanup.handler.logGroup,
          cleanupFailures: this.cleanupFailures,
          table: this.table,
          metricsNamespace: config.metricsNamespace,
          thresholds: config.alarmThresholds,
          ...(config.alarmTopic ? { alarmTopic: config.alarmTopic } : {}),
        })
      : undefined;
    this.dashboard = this.monitoring?.dashboard;
    this.alarms = this.monitoring?.alarms;
    this.allAlarms = this.monitoring?.allAlarms ?? [];

    this.site?.publish({
      apiUrl: this.httpApi.apiEndpoint,
      ...(this.liveUrl ? { liveUrl: this.liveUrl } : {}),
      ...(auth.pageSignIn ? { oidc: auth.pageSignIn } : {}),
    });
  }
}

/** `'*'` already admits the page; exact origins get its origin added. */
const withOrigin = (origins: readonly string[], origin: string | undefined): readonly string[] =>
  origin && !origins.includes('*') ? [...origins, origin] : origins;

/** What the page's sign-in fetches (UploadSite's CSP), decided before the auth exists. */
function signInSources(config: ResolvedUploadApiProps): string[] {
  const prefix = config.site?.signInDomainPrefix;
  if (!config.jwt && prefix) return [hostedUiOrigin(prefix)];
  // An external provider's token endpoint comes from its discovery document, on any host.
  if (config.jwt && config.site?.signInClientId) return ['https:'];
  return [];
}

/** Powertools reads these: one service name in every log line, the metrics' namespace. */
const observabilityEnvironment = (config: ResolvedUploadApiProps) => ({
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: config.metricsNamespace,
});
