import { Aws, Duration, Fn, RemovalPolicy, Token } from 'aws-cdk-lib';
import { PriceClass } from 'aws-cdk-lib/aws-cloudfront';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { loadConfig } from '../src/config.ts';
import { MAX_CHUNK_SIZE, MAX_CHUNKS, MIN_CHUNK_SIZE } from '../src/domain/chunk-plan.ts';
import type { UploadPolicy } from '../src/domain/policy.ts';

export interface UploadApiProps {
  /** Origins allowed to call the API and to PUT chunks to the bucket. @default ['*'] */
  readonly allowedOrigins?: readonly string[];
  /**
   * Issuer of an existing OIDC provider. With `jwtAudience`, the API trusts it and no Cognito
   * user pool is created. @default - a Cognito user pool and app client are created
   */
  readonly jwtIssuer?: string;
  /** Accepted `aud` / `client_id` values of tokens from `jwtIssuer`. Required with it. */
  readonly jwtAudience?: readonly string[];
  /** Bucket encryption. @default 'S3_MANAGED' ('KMS' when `encryptionKey` is given) */
  readonly encryption?: 'S3_MANAGED' | 'KMS';
  /** KMS key for the bucket. @default - a new key with rotation when encryption is 'KMS' */
  readonly encryptionKey?: IKey;
  /**
   * S3 Transfer Acceleration on the bucket. Note that the handlers' presigned URLs use the
   * regular regional endpoint. @default false
   */
  readonly transferAcceleration?: boolean;
  /** For the bucket, table, user pool, key and log groups. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Default stage throttling. @default { rateLimit: 100, burstLimit: 200 } */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** X-Ray active tracing on every function. @default false */
  readonly tracing?: boolean;
  /** Retention of function and access logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Memory of the route functions in MB. @default 512 */
  readonly memorySize?: number;
  /**
   * Bundle the AWS SDK at the version the tests ran against instead of using the copy in the
   * Lambda runtime. The runtime's copy keeps every bundle near 150 KB (bundled: about 630 KB) and
   * cold starts shorter, but its version moves with the runtime. @default false
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * Upload limits and lifetimes; each unset field keeps the application's own default. With
   * `uploadedRetentionSeconds`, an uploaded file's object and record are deleted that long after
   * completion; without it (the default) they are kept until the file is deleted.
   */
  readonly policy?: Partial<UploadPolicy>;
  /**
   * CloudWatch namespace of the upload metrics (UploadsInitiated, UploadsCompleted,
   * UploadsFailed, UploadsCancelled, UploadsExpired, BytesCompleted). @default 'UploadApi'
   */
  readonly metricsNamespace?: string;
  /**
   * A CloudWatch dashboard and alarms on the API's 5xx rate, function errors and throttles,
   * DynamoDB throttling and the cleanup's failures; docs/runbook.md says what each alarm means
   * and what to do. `false` creates neither. @default true
   */
  readonly monitoring?: boolean;
  /**
   * Live progress over a WebSocket API (same JWT trust as the HTTP API), pushed from the table's
   * stream; its `wss://` URL is `liveUrl`. `false` leaves it out. @default true
   */
  readonly live?: boolean;
  /**
   * SNS topic every alarm notifies, when it goes into ALARM and when it returns to OK. Requires
   * `monitoring`. The topic's owner decides its encryption (a KMS-encrypted topic's key must let
   * `cloudwatch.amazonaws.com` use it) and subscriptions. @default - the alarms notify nobody
   */
  readonly alarmTopic?: ITopic;
  /** Thresholds of the API 5xx-rate alarm; each unset field keeps its default. */
  readonly alarmThresholds?: Partial<UploadAlarmThresholds>;
  /**
   * Per-route HTTP API metrics (the stage's detailed metrics: requests, 4xx, 5xx and latency of
   * each route), which the dashboard graphs by route. CloudWatch bills them as custom metrics:
   * six per route that receives traffic. Without them the dashboard graphs invocations per
   * function. @default - the value of `monitoring`
   */
  readonly routeMetrics?: boolean;
  /**
   * The upload page (web/) hosted with the stack: a private bucket behind a CloudFront
   * distribution, its `config.json` written at deploy time from the stack's own URLs. The page's
   * origin is added to `allowedOrigins` (unless they are `'*'`); its URL is `siteUrl`. With the
   * construct's own user pool, the page signs in through the Cognito hosted UI (authorization
   * code with PKCE); with `jwtIssuer`, only when `signInClientId` is given, otherwise the page
   * asks for a token. `true` takes every default. @default false
   */
  readonly site?: boolean | UploadSiteOptions;
}

export interface UploadSiteOptions {
  /** Where CloudFront serves the page from. @default PriceClass.PRICE_CLASS_100 */
  readonly priceClass?: PriceClass;
  /**
   * The Cognito hosted UI's domain prefix (`https://<prefix>.auth.<region>.amazoncognito.com`),
   * unique in the region across all AWS accounts: lowercase letters, digits and inner hyphens, at
   * most 63, without `aws`, `amazon` or `cognito`. Not with `jwtIssuer`.
   * @default 'upload-' followed by the CloudFormation stack's UUID
   */
  readonly signInDomainPrefix?: string;
  /**
   * With `jwtIssuer`: the public app client (no secret) the page signs in with, by authorization
   * code with PKCE. The provider must accept `siteUrl` as its redirect URI and issue access tokens
   * whose `aud` or `client_id` is in `jwtAudience`. @default - the page asks for a token
   */
  readonly signInClientId?: string;
}

/** The site with its defaults applied. */
export interface ResolvedSiteOptions {
  readonly priceClass: PriceClass;
  /** Set when the construct creates its user pool (no `jwtIssuer`). */
  readonly signInDomainPrefix: string | undefined;
  readonly signInClientId: string | undefined;
}

/** When the API's 5xx-rate alarm fires (5-minute windows). */
export interface UploadAlarmThresholds {
  /** Percent of a window's requests answered 5xx at which the alarm fires. @default 5 */
  readonly serverErrorRatePercent: number;
  /**
   * Requests a window needs before its 5xx rate is judged, so that one error among a handful
   * of requests does not page anyone. @default 20
   */
  readonly serverErrorMinRequests: number;
}

export const DEFAULT_ALARM_THRESHOLDS: UploadAlarmThresholds = {
  serverErrorRatePercent: 5,
  serverErrorMinRequests: 20,
};

/** The props with every default applied; what the construct builds from. */
export interface ResolvedUploadApiProps {
  readonly allowedOrigins: readonly string[];
  readonly jwt: { readonly issuer: string; readonly audience: readonly string[] } | undefined;
  readonly encryption: 'S3_MANAGED' | 'KMS';
  readonly encryptionKey: IKey | undefined;
  readonly transferAcceleration: boolean;
  readonly removalPolicy: RemovalPolicy;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly tracing: boolean;
  readonly logRetention: RetentionDays;
  readonly memorySize: number;
  readonly bundleAwsSdk: boolean;
  readonly policy: UploadPolicy;
  readonly metricsNamespace: string;
  readonly monitoring: boolean;
  readonly live: boolean;
  readonly alarmTopic: ITopic | undefined;
  readonly alarmThresholds: UploadAlarmThresholds;
  readonly routeMetrics: boolean;
  readonly site: ResolvedSiteOptions | undefined;
}

/** Function timeouts. `complete` may outlive the API's 30 s integration timeout to finish assembling. */
export const ROUTE_TIMEOUT = Duration.seconds(10);
export const COMPLETE_TIMEOUT = Duration.seconds(60);
/** HTTP APIs answer 503 after 30 s; a racing `complete` must give up waiting well before that. */
const MAX_COMPLETION_WAIT_MS = 20_000;
/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** The environment variable each policy field is read from (src/config.ts). */
export const POLICY_ENV: Record<keyof UploadPolicy, string> = {
  defaultChunkSize: 'DEFAULT_CHUNK_SIZE',
  maxFileSize: 'MAX_FILE_SIZE',
  sessionTtlSeconds: 'SESSION_TTL_SECONDS',
  urlExpirySeconds: 'URL_EXPIRY_SECONDS',
  downloadUrlExpirySeconds: 'DOWNLOAD_URL_EXPIRY_SECONDS',
  maxLiveSessionsPerUser: 'MAX_ACTIVE_UPLOADS_PER_USER',
  allowedContentTypes: 'ALLOWED_CONTENT_TYPES',
  completionWaitMs: 'COMPLETION_WAIT_MS',
  completionStaleSeconds: 'COMPLETION_STALE_SECONDS',
  uploadedRetentionSeconds: 'UPLOADED_RETENTION_SECONDS',
};

export class UploadApiPropsError extends Error {
  override readonly name = 'UploadApiPropsError';
}

/** The application's own defaults: the same parser the functions run at cold start. */
export const defaultPolicy = (): UploadPolicy =>
  loadConfig({ UPLOADS_TABLE: 'defaults', UPLOADS_BUCKET: 'defaults' }).policy;

/** Applies defaults and validates; throws one error naming every invalid prop. */
export function resolveUploadApiProps(props: UploadApiProps = {}): ResolvedUploadApiProps {
  const resolved: ResolvedUploadApiProps = {
    allowedOrigins: props.allowedOrigins ?? ['*'],
    jwt:
      props.jwtIssuer !== undefined || props.jwtAudience !== undefined
        ? { issuer: props.jwtIssuer ?? '', audience: props.jwtAudience ?? [] }
        : undefined,
    encryption: props.encryption ?? (props.encryptionKey ? 'KMS' : 'S3_MANAGED'),
    encryptionKey: props.encryptionKey,
    transferAcceleration: props.transferAcceleration ?? false,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    throttle: props.throttle ?? { rateLimit: 100, burstLimit: 200 },
    tracing: props.tracing ?? false,
    logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
    memorySize: props.memorySize ?? 512,
    bundleAwsSdk: props.bundleAwsSdk ?? false,
    policy: { ...defaultPolicy(), ...props.policy },
    metricsNamespace: props.metricsNamespace ?? 'UploadApi',
    monitoring: props.monitoring ?? true,
    live: props.live ?? true,
    alarmTopic: props.alarmTopic,
    alarmThresholds: { ...DEFAULT_ALARM_THRESHOLDS, ...props.alarmThresholds },
    routeMetrics: props.routeMetrics ?? props.monitoring ?? true,
    site: resolveSite(props),
  };
  const problems = validate(resolved);
  if (problems.length > 0) {
    throw new UploadApiPropsError(`Invalid UploadApi props: ${problems.join('; ')}`);
  }
  return resolved;
}

function resolveSite(props: UploadApiProps): ResolvedSiteOptions | undefined {
  if (!props.site) return undefined;
  const options = props.site === true ? {} : props.site;
  const ownUserPool = props.jwtIssuer === undefined && props.jwtAudience === undefined;
  return {
    priceClass: options.priceClass ?? PriceClass.PRICE_CLASS_100,
    signInDomainPrefix: ownUserPool
      ? (options.signInDomainPrefix ?? DEFAULT_SIGN_IN_DOMAIN_PREFIX)
      : options.signInDomainPrefix,
    signInClientId: options.signInClientId,
  };
}

/**
 * Unique across accounts and stable for the stack's life, known only at deploy time: the UUID at
 * the end of the stack id (`arn:...:stack/<name>/<uuid>`). Hex and hyphens hold no reserved word.
 */
const DEFAULT_SIGN_IN_DOMAIN_PREFIX = Fn.join('-', [
  'upload',
  Fn.select(2, Fn.split('/', Aws.STACK_ID)),
]);

/**
 * The policy as the functions' environment; `loadConfig` reads it back unchanged. An unset field
 * (no uploaded-file retention) sets no variable.
 */
export function policyEnvironment(policy: UploadPolicy): Record<string, string> {
  return Object.fromEntries(
    Object.entries(POLICY_ENV).flatMap(([field, name]) => {
      const value = policy[field as keyof UploadPolicy];
      if (value === undefined) return [];
      return [[name, Array.isArray(value) ? value.join(',') : String(value)]];
    }),
  );
}

/** Exact origins only: HTTP API CORS matches `*` or whole origins, not wildcard subdomains. */
const ORIGIN = /^https?:\/\/[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/i;

function validate(p: ResolvedUploadApiProps): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  const concrete = (value: unknown) => typeof value !== 'string' || !Token.isUnresolved(value);
  // CloudWatch namespaces: 1-255 of these characters, and not the reserved AWS/ prefix.
  check(
    !concrete(p.metricsNamespace) ||
      (/^[\w.\-/#:]{1,255}$/.test(p.metricsNamespace) && !p.metricsNamespace.startsWith('AWS/')),
    `metricsNamespace must be 1-255 of letters, digits and . - _ / # : and not start with AWS/ (got ${JSON.stringify(p.metricsNamespace)})`,
  );

  check(p.allowedOrigins.length > 0, 'allowedOrigins must not be empty');
  check(
    p.allowedOrigins.every((o) => !concrete(o) || o === '*' || ORIGIN.test(o)),
    'allowedOrigins must be "*" or origins like https://app.example.com (no path, no trailing slash)',
  );
  check(
    !p.allowedOrigins.includes('*') || p.allowedOrigins.length === 1,
    'allowedOrigins: "*" cannot be combined with other origins',
  );
  if (p.jwt) {
    check(
      !concrete(p.jwt.issuer) || /^https:\/\/[^\s]+$/.test(p.jwt.issuer),
      'jwtIssuer must be an https URL (and is required with jwtAudience)',
    );
    check(
      p.jwt.audience.length > 0 && p.jwt.audience.every((a) => a.length > 0),
      'jwtAudience must list at least one audience (and is required with jwtIssuer)',
    );
  }
  check(
    p.encryption === 'KMS' || p.encryptionKey === undefined,
    "encryptionKey requires encryption 'KMS'",
  );
  const { rateLimit, burstLimit } = p.throttle;
  check(rateLimit > 0 && Number.isFinite(rateLimit), 'throttle.rateLimit must be positive');
  check(
    Number.isInteger(burstLimit) && burstLimit > 0,
    'throttle.burstLimit must be a positive integer',
  );
  check(
    Number.isInteger(p.memorySize) && p.memorySize >= 128 && p.memorySize <= 10_240,
    'memorySize must be an integer from 128 to 10240',
  );
  check(
    p.monitoring || p.alarmTopic === undefined,
    'alarmTopic requires monitoring (the alarms it would be notified by are not created)',
  );
  const { serverErrorRatePercent, serverErrorMinRequests } = p.alarmThresholds;
  check(
    serverErrorRatePercent > 0 && serverErrorRatePercent <= 100,
    'alarmThresholds.serverErrorRatePercent must be above 0 and at most 100',
  );
  check(
    Number.isSafeInteger(serverErrorMinRequests) && serverErrorMinRequests >= 1,
    'alarmThresholds.serverErrorMinRequests must be an integer >= 1',
  );
  if (p.site) problems.push(...validateSite(p.site, p.jwt !== undefined));
  problems.push(...validatePolicy(p.policy));
  return problems;
}

/** Cognito domain prefixes: 1-63 of a-z, 0-9 and inner hyphens. */
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function validateSite(site: ResolvedSiteOptions, externalIssuer: boolean): string[] {
  const problems: string[] = [];
  const prefix = site.signInDomainPrefix;
  if (externalIssuer && prefix !== undefined) {
    problems.push(
      'site.signInDomainPrefix names the hosted UI of the own user pool: not with jwtIssuer',
    );
  } else if (prefix !== undefined && !Token.isUnresolved(prefix)) {
    if (!DOMAIN_PREFIX.test(prefix) || /aws|amazon|cognito/.test(prefix)) {
      problems.push(
        `site.signInDomainPrefix must be 1-63 lowercase letters, digits and inner hyphens, without aws, amazon or cognito (got ${JSON.stringify(prefix)})`,
      );
    }
  }
  const clientId = site.signInClientId;
  if (clientId !== undefined && !externalIssuer) {
    problems.push(
      'site.signInClientId requires jwtIssuer (the construct creates its own app client otherwise)',
    );
  } else if (clientId !== undefined && clientId.trim() === '') {
    problems.push('site.signInClientId must not be empty');
  }
  return problems;
}

function validatePolicy(policy: UploadPolicy): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  for (const field of Object.keys(POLICY_ENV) as (keyof UploadPolicy)[]) {
    const value = policy[field];
    if (typeof value !== 'number') continue;
    const min = field === 'completionWaitMs' ? 0 : 1;
    check(
      Number.isSafeInteger(value) && value >= min,
      `policy.${field} must be an integer >= ${min}`,
    );
  }
  check(
    policy.defaultChunkSize >= MIN_CHUNK_SIZE && policy.defaultChunkSize <= MAX_CHUNK_SIZE,
    `policy.defaultChunkSize must be from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE} bytes`,
  );
  check(
    policy.maxFileSize <= MAX_CHUNKS * MAX_CHUNK_SIZE,
    `policy.maxFileSize must be at most ${MAX_CHUNKS * MAX_CHUNK_SIZE} bytes (10,000 parts of 5 GiB)`,
  );
  check(
    policy.urlExpirySeconds <= MAX_PRESIGN_SECONDS &&
      policy.downloadUrlExpirySeconds <= MAX_PRESIGN_SECONDS,
    'policy.urlExpirySeconds and downloadUrlExpirySeconds must be at most 7 days',
  );
  check(
    policy.completionWaitMs <= MAX_COMPLETION_WAIT_MS,
    `policy.completionWaitMs must be at most ${MAX_COMPLETION_WAIT_MS} (the API times out at 30 s)`,
  );
  check(
    policy.completionStaleSeconds > COMPLETE_TIMEOUT.toSeconds(),
    `policy.completionStaleSeconds must exceed the complete function's timeout (${COMPLETE_TIMEOUT.toSeconds()} s), or a takeover could race a running completion`,
  );
  check(
    policy.allowedContentTypes.length > 0 &&
      policy.allowedContentTypes.every((t) => t.trim() !== '' && !t.includes(',')),
    'policy.allowedContentTypes must list non-empty types without commas',
  );
  return problems;
}
