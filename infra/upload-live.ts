import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { keys } from '../src/adapters/session-item.ts';
import { UploadFunction, type UploadFunctionProps } from './upload-function.ts';

const SESSION_KEY = keys.session('');

/**
 * Only writes of session items reach the push function: INSERT or MODIFY of an item whose key is
 * `SESSION#<id>` / `SESSION`. Chunk pages (same partition, `CHUNKS#…`), live connections and
 * subscriptions (`LIVE#…`, `LIVESUB#…`), user records and every removal are dropped before
 * invocation (and cost nothing). Recording chunks always updates the session item's totals, so no
 * change is missed. sessionChangesOf (src/adapters/dynamo-live-connections.ts) applies the same
 * rule in the function and on the local server.
 */
export const SESSION_CHANGE_FILTER = {
  eventName: FilterRule.or('INSERT', 'MODIFY'),
  dynamodb: {
    Keys: {
      PK: { S: FilterRule.beginsWith(SESSION_KEY.PK) },
      SK: { S: FilterRule.isEqual(SESSION_KEY.SK) },
    },
  },
};

/** Partition keys (`dynamodb:LeadingKeys`) of the live items and of sessions. */
const LIVE_ITEMS = ['LIVE#*', 'LIVESUB#*'];
const SESSION_ITEMS = [`${SESSION_KEY.PK}*`];

/**
 * WebSocket context variables logged per connection, message and disconnection, one JSON object
 * a line. Written out on purpose: API Gateway logs only what is named here, and nothing named
 * here holds the `token` query parameter or a header (no `$context.requestOverride`, no
 * execution logging on the stage), so the token never reaches a log.
 */
export const LIVE_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  status: '$context.status',
  connectionId: '$context.connectionId',
  userId: '$context.authorizer.userId',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  error: '$context.error.message',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
};

export interface UploadLiveProps {
  /** The ledger table, with a stream carrying new images (NEW_IMAGE or NEW_AND_OLD_IMAGES). */
  readonly table: ITable;
  /** The issuer and audiences the HTTP API's JWT authorizer trusts. */
  readonly jwt: { readonly issuer: string; readonly audience: readonly string[] };
  /**
   * What every function shares (UploadApi's `shared`): `environment` must hold what
   * src/config.ts requires (UPLOADS_TABLE, UPLOADS_BUCKET) and the Powertools variables.
   */
  readonly functionDefaults: Omit<
    UploadFunctionProps,
    'handler' | 'description' | 'timeout' | 'memorySize'
  >;
  /** Memory of the live functions in MB. @default 256 */
  readonly memorySize?: number;
  /** Stage throttling (connections and messages). @default { rateLimit: 50, burstLimit: 100 } */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

/**
 * Live progress over WebSocket (shared/API.md): an API Gateway WebSocket API whose $connect is
 * guarded by a Lambda authorizer with the HTTP API's trust, functions for $connect, $disconnect
 * and $default (subscribe / unsubscribe), and the table stream's consumer that pushes progress
 * to subscribers. Connections and subscriptions live in the ledger table (TTL'd items).
 */
export class UploadLive extends Construct {
  readonly webSocketApi: WebSocketApi;
  readonly stage: WebSocketStage;
  /** The `wss://` URL clients connect to (a stack output). */
  readonly url: string;
  /** The management API endpoint (`https://`) the functions post messages to. */
  readonly callbackUrl: string;
  readonly accessLogGroup: LogGroup;
  readonly functions: {
    readonly authorizer: UploadFunction;
    readonly connect: UploadFunction;
    readonly disconnect: UploadFunction;
    readonly message: UploadFunction;
    readonly push: UploadFunction;
  };

  constructor(scope: Construct, id: string, props: UploadLiveProps) {
    super(scope, id);
    const { table, functionDefaults } = props;
    const memorySize = props.memorySize ?? 256;
    const fn = (handler: string, description: string, extra: Partial<UploadFunctionProps> = {}) =>
      new UploadFunction(this, handler, {
        ...functionDefaults,
        handler,
        description,
        timeout: Duration.seconds(10),
        memorySize,
        ...extra,
      });

    const powertools = Object.fromEntries(
      Object.entries(functionDefaults.environment).filter(([name]) =>
        name.startsWith('POWERTOOLS_'),
      ),
    );
    const authorizer = fn('live-authorizer', 'Live progress: verifies the JWT of $connect', {
      environment: {
        ...powertools,
        LIVE_JWT_ISSUER: props.jwt.issuer,
        LIVE_JWT_AUDIENCE: props.jwt.audience.join(','),
      },
    });
    const connect = fn('live-connect', 'Live progress $connect: records the connection');
    const disconnect = fn('live-disconnect', 'Live progress $disconnect: forgets the connection');

    this.webSocketApi = new WebSocketApi(this, 'Api', {
      description: 'Resumable upload API: live progress',
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('Connect', connect.function),
        // The token may come in the Authorization header or the `token` query parameter. An
        // identity source makes API Gateway refuse a request that lacks it before the
        // authorizer runs, so naming either would refuse the other: none is named, and the
        // authorizer runs on every $connect (WebSocket authorizers cache nothing anyway).
        authorizer: new WebSocketLambdaAuthorizer('Authorizer', authorizer.function, {
          identitySource: [],
        }),
      },
      disconnectRouteOptions: {
        integration: new WebSocketLambdaIntegration('Disconnect', disconnect.function),
      },
    });

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: functionDefaults.logRetention,
      removalPolicy: functionDefaults.removalPolicy,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.webSocketApi,
      stageName: 'live',
      autoDeploy: true,
      throttle: { ...(props.throttle ?? { rateLimit: 50, burstLimit: 100 }) },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(LIVE_ACCESS_LOG_FIELDS)),
      },
    });
    this.url = this.stage.url;
    this.callbackUrl = this.stage.callbackUrl;

    const sending = { LIVE_CALLBACK_URL: this.callbackUrl };
    const message = fn('live-message', 'Live progress $default: subscribe and unsubscribe', {
      environment: { ...functionDefaults.environment, ...sending },
    });
    this.webSocketApi.addRoute('$default', {
      integration: new WebSocketLambdaIntegration('Message', message.function),
    });
    const push = fn('live-push', 'Live progress: pushes session changes to subscribers', {
      environment: { ...functionDefaults.environment, ...sending },
      // Folded sends wait up to 250 ms within an invocation; DynamoDB calls have their own bounds.
      timeout: Duration.seconds(30),
    });
    push.function.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        // One batch of a shard at a time: a session (one partition, one shard) is pushed in order.
        parallelizationFactor: 1,
        // Progress is worth little late: a failed batch is tried twice more, within a minute.
        retryAttempts: 2,
        maxRecordAge: Duration.seconds(60),
        reportBatchItemFailures: true,
        filters: [FilterCriteria.filter(SESSION_CHANGE_FILTER)],
      }),
    );
    Validations.of(push.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams, added by the stream event source grant, does not support resource-level permissions.',
    });

    // Least privilege on the table: each function, only the actions it calls, only on the
    // partitions it touches (dynamodb:LeadingKeys).
    grantItems(connect.role, table, ['dynamodb:PutItem'], LIVE_ITEMS);
    grantItems(
      disconnect.role,
      table,
      ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
      LIVE_ITEMS,
    );
    // getConnection, addSubscription, removeSubscription; the session for its progress.
    grantItems(
      message.role,
      table,
      ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      LIVE_ITEMS,
    );
    grantItems(message.role, table, ['dynamodb:GetItem'], SESSION_ITEMS);
    // listSubscribers; forgetting gone connections; the session for its progress.
    grantItems(
      push.role,
      table,
      [
        'dynamodb:Query',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
      ],
      LIVE_ITEMS,
    );
    grantItems(push.role, table, ['dynamodb:GetItem'], SESSION_ITEMS);
    // PostToConnection only (not GET or DELETE of a connection), on this stage only.
    const postToConnections = Stack.of(this).formatArn({
      service: 'execute-api',
      resource: this.webSocketApi.apiId,
      resourceName: `${this.stage.stageName}/POST/@connections/*`,
    });
    for (const sender of [message, push]) {
      sender.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['execute-api:ManageConnections'],
          resources: [postToConnections],
        }),
      );
      Validations.of(sender.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${logicalIdOf(this.webSocketApi)}>/${this.stage.stageName}/POST/@connections/*]`,
        reason:
          'Connection ids are assigned by API Gateway at connect time; the grant only posts to connections of this API stage.',
      });
    }

    Validations.of(this.webSocketApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'WebSocket APIs authorize only $connect (here by the JWT authorizer); $disconnect and $default run on a connection that was authorized.',
    });

    this.functions = { authorizer, connect, disconnect, message, push };
  }
}

function grantItems(
  role: IRole,
  table: ITable,
  actions: readonly string[],
  leadingKeys: readonly string[],
): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [...actions],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] } },
    }),
  );
}

const logicalIdOf = (api: WebSocketApi): string =>
  Stack.of(api).getLogicalId(api.node.defaultChild as CfnElement);
