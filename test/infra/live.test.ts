import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, BillingMode, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LIVE_ACCESS_LOG_FIELDS,
  SESSION_CHANGE_FILTER,
  UploadLive,
} from '../../infra/upload-live.ts';
import {
  liveKeys,
  type StreamRecordLike,
  sessionChangesOf,
} from '../../src/adapters/dynamo-live-connections.ts';
import { keys } from '../../src/adapters/session-item.ts';
import {
  cdkContext,
  grantsOf,
  logicalId,
  removeOutdirs,
  roleOf,
  temporaryOutdir,
} from './support/synth.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The environment variables of a function in the template. */
const environmentOf = (resources: Resources, id: string): Record<string, unknown> =>
  (resources[id]?.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
    ?.Variables ?? {};

/** A minimal stack: a table like the ledger's (stream with new images, TTL) and the construct. */
function liveStack() {
  const app = new App({
    outdir: temporaryOutdir(),
    context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'Live');
  const table = new Table(stack, 'Table', {
    partitionKey: { name: 'PK', type: AttributeType.STRING },
    sortKey: { name: 'SK', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: 'expiresAt',
    stream: StreamViewType.NEW_AND_OLD_IMAGES,
  });
  const live = new UploadLive(stack, 'UploadLive', {
    table,
    jwt: { issuer: 'https://login.example.com/', audience: ['upload-api', 'web'] },
    functionDefaults: {
      environment: {
        UPLOADS_TABLE: table.tableName,
        UPLOADS_BUCKET: 'uploads',
        POWERTOOLS_SERVICE_NAME: 'upload-api',
      },
      logRetention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
      tracing: false,
      bundleAwsSdk: false,
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack, table, live, template: Template.fromStack(stack) };
}

const ofType = (template: Template, type: string) =>
  Object.entries(template.toJSON().Resources as Resources).filter(([, r]) => r.Type === type);

/** Does an event-source filter pattern (exact strings and prefixes only) match the event? */
function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((rule) =>
      typeof rule === 'object' && rule !== null && 'prefix' in rule
        ? typeof event === 'string' && event.startsWith(String(rule.prefix))
        : rule === event,
    );
  }
  if (typeof pattern !== 'object' || pattern === null) return false;
  return Object.entries(pattern).every(([key, sub]) =>
    matches(sub, (event as Record<string, unknown> | undefined)?.[key]),
  );
}

const recordOf = (
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  key: { PK: string; SK: string },
  status = 'uploading',
): StreamRecordLike => ({
  eventName,
  dynamodb: {
    Keys: { PK: { S: key.PK }, SK: { S: key.SK } },
    NewImage: { ...{ PK: { S: key.PK }, SK: { S: key.SK } }, status: { S: status } },
  },
});

describe('UploadLive', () => {
  afterAll(removeOutdirs);

  let synth: ReturnType<typeof liveStack>;
  let resources: Resources;

  beforeAll(() => {
    synth = liveStack();
    resources = synth.template.toJSON().Resources as Resources;
  });

  it('routes $connect behind the Lambda authorizer, $disconnect and $default to their functions', () => {
    const routes = new Map(
      ofType(synth.template, 'AWS::ApiGatewayV2::Route').map(([, r]) => [
        r.Properties.RouteKey,
        r.Properties,
      ]),
    );
    expect([...routes.keys()].sort()).toEqual(['$connect', '$default', '$disconnect']);
    expect(routes.get('$connect')).toMatchObject({ AuthorizationType: 'CUSTOM' });
    expect(routes.get('$default')?.AuthorizationType ?? 'NONE').toBe('NONE');

    const { functions } = synth.live;
    const expected = {
      $connect: functions.connect,
      $disconnect: functions.disconnect,
      $default: functions.message,
    };
    for (const [key, fn] of Object.entries(expected)) {
      const target = routes.get(key)?.Target as { 'Fn::Join': [string, unknown[]] };
      const integration = resources[(target['Fn::Join'][1][1] as { Ref: string }).Ref];
      expect(JSON.stringify(integration?.Properties.IntegrationUri)).toContain(
        logicalId(fn.function),
      );
    }
  });

  it('runs the authorizer on every $connect, wherever the token is (no identity source)', () => {
    const [[, authorizer]] = ofType(synth.template, 'AWS::ApiGatewayV2::Authorizer') as [
      [string, Resources[string]],
    ];
    expect(authorizer.Properties).toMatchObject({ AuthorizerType: 'REQUEST' });
    expect(authorizer.Properties.IdentitySource ?? []).toEqual([]);
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(
      logicalId(synth.live.functions.authorizer.function),
    );
  });

  it('gives the authorizer the HTTP API trust and nothing of the table', () => {
    const variables = environmentOf(resources, logicalId(synth.live.functions.authorizer.function));
    expect(variables).toMatchObject({
      LIVE_JWT_ISSUER: 'https://login.example.com/',
      LIVE_JWT_AUDIENCE: 'upload-api,web',
      POWERTOOLS_SERVICE_NAME: 'upload-api',
    });
    expect(variables).not.toHaveProperty('UPLOADS_TABLE');
    const role = roleOf(synth.template, logicalId(synth.live.functions.authorizer.function));
    expect([...grantsOf(synth.template, role).keys()].sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  it('logs access with named context variables only, none of which carries the token', () => {
    const [[, stage]] = ofType(synth.template, 'AWS::ApiGatewayV2::Stage') as [
      [string, Resources[string]],
    ];
    const settings = stage.Properties.AccessLogSettings as { Format: string };
    expect(JSON.parse(settings.Format)).toEqual(LIVE_ACCESS_LOG_FIELDS);
    expect(settings.Format).not.toMatch(/querystring|request\.|header|token|requestOverride/i);
    // No execution logging (it would log the upgrade request, query string included).
    const routeSettings = (stage.Properties.DefaultRouteSettings ?? {}) as Record<string, unknown>;
    expect(routeSettings.LoggingLevel ?? 'OFF').toBe('OFF');
    expect(routeSettings.DataTraceEnabled ?? false).toBe(false);
    expect(routeSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
  });

  it('exposes the wss:// URL of the stage', () => {
    expect(synth.stack.resolve(synth.live.url)).toEqual({
      'Fn::Join': [
        '',
        [
          'wss://',
          { Ref: logicalId(synth.live.webSocketApi) },
          '.execute-api.',
          { Ref: 'AWS::Region' },
          '.',
          { Ref: 'AWS::URLSuffix' },
          '/live',
        ],
      ],
    });
  });

  it('feeds the push function with session writes only, in order, retrying briefly', () => {
    const [[, mapping]] = ofType(synth.template, 'AWS::Lambda::EventSourceMapping') as [
      [string, Resources[string]],
    ];
    expect(mapping.Properties).toMatchObject({
      FunctionName: { Ref: logicalId(synth.live.functions.push.function) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(synth.table), 'StreamArn'] },
      StartingPosition: 'LATEST',
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 2,
      MaximumRecordAgeInSeconds: 60,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const filters = (mapping.Properties.FilterCriteria as { Filters: { Pattern: string }[] })
      .Filters;
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([
      {
        eventName: ['INSERT', 'MODIFY'],
        dynamodb: { Keys: { PK: { S: [{ prefix: 'SESSION#' }] }, SK: { S: ['SESSION'] } } },
      },
    ]);
  });

  it('lets through exactly the records the function itself counts as session changes', () => {
    const pattern = JSON.parse(JSON.stringify(SESSION_CHANGE_FILTER));
    const records: [string, StreamRecordLike, boolean][] = [
      ['session insert', recordOf('INSERT', keys.session('s1')), true],
      ['session update', recordOf('MODIFY', keys.session('s1')), true],
      ['session removal (TTL)', recordOf('REMOVE', keys.session('s1')), false],
      ['chunk page', recordOf('MODIFY', keys.chunkPage('s1', 0)), false],
      ['live connection', recordOf('INSERT', liveKeys.connection('c1')), false],
      ['subscription', recordOf('INSERT', liveKeys.subscription('s1', 'c1')), false],
      ['live slots', recordOf('MODIFY', keys.liveSlots('alice')), false],
    ];
    for (const [name, record, passes] of records) {
      expect(matches(pattern, record), name).toBe(passes);
      expect(sessionChangesOf([record]).length, name).toBe(passes ? 1 : 0);
    }
  });

  it('grants each function only its actions, on the live partitions and sessions only', () => {
    const { functions } = synth.live;
    const table = { 'Fn::GetAtt': [logicalId(synth.table), 'Arn'] };
    const statementsOf = (fn: (typeof functions)['connect']) => {
      const role = roleOf(synth.template, logicalId(fn.function));
      return Object.values(synth.template.findResources('AWS::IAM::Policy'))
        .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[])
        .filter((s) => JSON.stringify(s.Resource) === JSON.stringify(table))
        .map((s) => ({
          actions: [s.Action].flat().sort(),
          keys: (s.Condition as Record<string, Record<string, unknown>>)[
            'ForAllValues:StringLike'
          ]?.['dynamodb:LeadingKeys'],
        }));
    };
    const live = ['LIVE#*', 'LIVESUB#*'];
    const sessions = ['SESSION#*'];
    expect(statementsOf(functions.connect)).toEqual([
      { actions: ['dynamodb:PutItem'], keys: live },
    ]);
    expect(statementsOf(functions.disconnect)).toEqual([
      {
        actions: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem'],
        keys: live,
      },
    ]);
    expect(statementsOf(functions.message)).toEqual([
      {
        actions: [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ],
        keys: live,
      },
      { actions: ['dynamodb:GetItem'], keys: sessions },
    ]);
    expect(statementsOf(functions.push)).toEqual([
      {
        actions: [
          'dynamodb:BatchWriteItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        keys: live,
      },
      { actions: ['dynamodb:GetItem'], keys: sessions },
    ]);
  });

  it('lets only the message and push functions post to connections, on this stage only', () => {
    const { functions } = synth.live;
    const posting = Object.entries(functions)
      .filter(([, fn]) =>
        grantsOf(synth.template, roleOf(synth.template, logicalId(fn.function))).has(
          'execute-api:ManageConnections',
        ),
      )
      .map(([name]) => name);
    expect(posting.sort()).toEqual(['message', 'push']);
    const resource = grantsOf(
      synth.template,
      roleOf(synth.template, logicalId(functions.push.function)),
    ).get('execute-api:ManageConnections');
    expect(JSON.stringify(resource)).toContain('/live/POST/@connections/*');
    const variables = environmentOf(resources, logicalId(functions.push.function));
    expect(JSON.stringify(variables.LIVE_CALLBACK_URL)).toContain('https://');
  });

  it('is cdk-nag clean, acknowledging only known findings with reasons', () => {
    const violations = new AwsSolutionsChecks().validateScope(synth.app).violations.map((v) => ({
      rule: v.ruleName,
      at: v.violatingResources.map((r) => r.constructPath),
    }));
    expect(violations).toEqual([]);
    const acks = acknowledgements(synth.live);
    for (const ack of acks) expect(ack.reason.length, ack.id).toBeGreaterThan(40);
    expect(
      [...new Set(acks.map((a) => a.id.replace(/<[^>]+>\/live/, '<Api>/live')))].sort(),
    ).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<Api>/live/POST/@connections/*]',
    ]);
  });
});

function acknowledgements(root: IConstruct): { id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}
