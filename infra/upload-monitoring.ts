import { Duration } from 'aws-cdk-lib';
import { HttpMethod, HttpRouteKey, type IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  AlarmWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  MathExpression,
  Metric,
  PeriodOverride,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { type ITable, Operation } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC } from '../functions/commons/upload-metrics.ts';
import { ROUTES, type RouteId } from '../src/http/routes.ts';
import type { UploadAlarmThresholds } from './upload-api-props.ts';

/** Powertools' service name: every function logs it and publishes its metrics under `service`. */
export const SERVICE_NAME = 'upload-api';

/** Every alarm and graph judges 5-minute windows. */
const PERIOD = Duration.minutes(5);

/** The DynamoDB operations the adapters call (Get, Query, TransactWrite, Update commands). */
export const TABLE_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.QUERY,
  Operation.UPDATE_ITEM,
  Operation.TRANSACT_WRITE_ITEMS,
] as const;

/** A function of the API: one per route, and the stream consumer that cleans up after TTL. */
export type FunctionId = RouteId | 'cleanup';

export interface UploadMonitoringProps {
  /** The stage whose requests are counted (its detailed metrics give the per-route graphs). */
  readonly stage: IHttpStage;
  /** Whether the stage publishes per-route metrics; without them the graphs are per function. */
  readonly routeMetrics: boolean;
  readonly functions: Readonly<Record<RouteId, IFunction>>;
  readonly cleanupFunction: IFunction;
  readonly cleanupLogGroup: ILogGroup;
  readonly cleanupFailures: IQueue;
  readonly table: ITable;
  /** The namespace the functions publish the upload metrics to. */
  readonly metricsNamespace: string;
  readonly thresholds: UploadAlarmThresholds;
  /** Notified when any alarm goes into ALARM and when it returns to OK. */
  readonly alarmTopic?: ITopic;
}

/** The alarms, by what they watch; docs/runbook.md says what to do about each. */
export interface UploadAlarms {
  /** Share of API requests answered 5xx. */
  readonly serverErrorRate: Alarm;
  /** Invocations that failed in the Lambda runtime (crash, timeout, out of memory), per function. */
  readonly functionErrors: Readonly<Record<FunctionId, Alarm>>;
  /** Invocations Lambda refused for lack of concurrency, per function. */
  readonly functionThrottles: Readonly<Record<FunctionId, Alarm>>;
  /** Ledger table requests DynamoDB throttled. */
  readonly tableThrottles: Alarm;
  /** Stream records the cleanup function gave up on, waiting in its dead-letter queue. */
  readonly cleanupDeadLetters: Alarm;
  /** Expired sessions whose storage the cleanup function could not release (logged errors). */
  readonly cleanupErrors: Alarm;
}

/**
 * One CloudWatch dashboard and the alarms of the upload API, with defaults documented in
 * docs/runbook.md. Every alarm treats missing data as not breaching: the metrics it reads are
 * published only while there is traffic (or, for the dead-letter queue, while it holds messages),
 * so no data means nothing failed.
 */
export class UploadMonitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: UploadAlarms;
  /** Every alarm of `alarms`, in a flat list. */
  readonly allAlarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: UploadMonitoringProps) {
    super(scope, id);
    const functions: [FunctionId, IFunction][] = [
      ...ROUTES.map((r): [FunctionId, IFunction] => [r.id, props.functions[r.id]]),
      ['cleanup', props.cleanupFunction],
    ];

    const api = apiMetrics(props.stage);
    const serverErrorRate = new MathExpression({
      expression: `IF(requests >= ${props.thresholds.serverErrorMinRequests}, 100 * FILL(errors, 0) / requests, 0)`,
      usingMetrics: { requests: api.count, errors: api.serverErrors },
      label: '5xx rate (%)',
      period: PERIOD,
    });
    const tableThrottles = sumOf(
      'Throttled requests',
      Object.fromEntries(
        TABLE_OPERATIONS.map((op) => [
          op.toLowerCase(),
          tableMetric(props.table, 'ThrottledRequests', op),
        ]),
      ),
    );
    const deadLetters = props.cleanupFailures.metricApproximateNumberOfMessagesVisible({
      statistic: Stats.MAXIMUM,
      period: PERIOD,
      label: 'Records in the dead-letter queue',
    });
    const cleanupErrors = new MetricFilter(this, 'CleanupErrorsFilter', {
      logGroup: props.cleanupLogGroup,
      // Powertools' JSON log lines; the handler logs a permanent failure at ERROR level.
      filterPattern: FilterPattern.stringValue('$.level', '=', 'ERROR'),
      metricNamespace: props.metricsNamespace,
      metricName: 'CleanupErrors',
      metricValue: '1',
    }).metric({ statistic: Stats.SUM, period: PERIOD, label: 'Cleanup errors logged' });

    const alarm = (
      alarmId: string,
      metric: IMetric,
      options: AlarmOptions,
      scope: Construct = this,
    ) => {
      const { runbook, alarmDescription, ...thresholds } = options;
      return new Alarm(scope, alarmId, {
        metric,
        ...thresholds,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: `${alarmDescription} Runbook: docs/runbook.md#${runbook}`,
      });
    };
    /** One alarm per function, grouped under one construct: `<group>/<function id>`. */
    const perFunction = (
      group: string,
      metric: (fn: IFunction) => IMetric,
      options: (fnId: FunctionId) => AlarmOptions,
    ) => {
      const scope = new Construct(this, group);
      return Object.fromEntries(
        functions.map(([fnId, fn]) => [fnId, alarm(fnId, metric(fn), options(fnId), scope)]),
      ) as Record<FunctionId, Alarm>;
    };

    this.alarms = {
      serverErrorRate: alarm('ServerErrorRate', serverErrorRate, {
        threshold: props.thresholds.serverErrorRatePercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        alarmDescription: `At least ${props.thresholds.serverErrorRatePercent}% of the API's requests in 5 minutes (of at least ${props.thresholds.serverErrorMinRequests}) were answered 5xx.`,
        runbook: 'api-5xx-rate',
      }),
      functionErrors: perFunction(
        'FunctionErrors',
        (fn) => fn.metricErrors({ statistic: Stats.SUM, period: PERIOD }),
        (fnId) => ({
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          alarmDescription: `The ${fnId} function failed in the Lambda runtime (unhandled error, timeout or out of memory) in the last 5 minutes.`,
          runbook: 'function-errors',
        }),
      ),
      functionThrottles: perFunction(
        'FunctionThrottles',
        (fn) => fn.metricThrottles({ statistic: Stats.SUM, period: PERIOD }),
        (fnId) => ({
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          alarmDescription: `Lambda refused invocations of the ${fnId} function for lack of concurrency in the last 5 minutes.`,
          runbook: 'function-throttles',
        }),
      ),
      tableThrottles: alarm('TableThrottles', tableThrottles, {
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        alarmDescription: 'DynamoDB throttled requests to the ledger table in the last 5 minutes.',
        runbook: 'table-throttles',
      }),
      cleanupDeadLetters: alarm('CleanupDeadLetters', deadLetters, {
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription:
          "Stream records the cleanup function kept failing on wait in its dead-letter queue: those sessions' storage was not released.",
        runbook: 'cleanup-dead-letters',
      }),
      cleanupErrors: alarm('CleanupErrors', cleanupErrors, {
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        alarmDescription:
          "The cleanup function logged an error: an expired session's storage could not be released and will not be retried.",
        runbook: 'cleanup-errors',
      }),
    };
    this.allAlarms = [
      this.alarms.serverErrorRate,
      ...Object.values(this.alarms.functionErrors),
      ...Object.values(this.alarms.functionThrottles),
      this.alarms.tableThrottles,
      this.alarms.cleanupDeadLetters,
      this.alarms.cleanupErrors,
    ];
    if (props.alarmTopic) {
      const action = new SnsAction(props.alarmTopic);
      for (const a of this.allAlarms) {
        a.addAlarmAction(action);
        a.addOkAction(action);
      }
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
      periodOverride: PeriodOverride.AUTO,
      widgets: [
        [
          new TextWidget({
            markdown: [
              '# Resumable upload API',
              'What each alarm means and what to do about it: `docs/runbook.md` in the repository.',
              'Graphs sum or aggregate 5-minute windows; custom upload metrics are in the',
              `\`${props.metricsNamespace}\` namespace (dimension \`service=${SERVICE_NAME}\`).`,
            ].join('\n'),
            width: 8,
            height: 6,
          }),
          new AlarmStatusWidget({
            title: 'Alarms',
            alarms: [...this.allAlarms],
            width: 16,
            height: 6,
          }),
        ],
        apiRow(api, this.alarms.serverErrorRate),
        props.routeMetrics
          ? routeRow(props.stage)
          : [
              functionGraph(
                'Invocations per function (no per-route metrics)',
                functions,
                (fn) => fn.metricInvocations({ statistic: Stats.SUM, period: PERIOD }),
                24,
              ),
            ],
        [
          functionGraph('Duration p50 per function (ms)', functions, (fn) =>
            fn.metricDuration({ statistic: Stats.p(50), period: PERIOD }),
          ),
          functionGraph('Duration p99 per function (ms)', functions, (fn) =>
            fn.metricDuration({ statistic: Stats.p(99), period: PERIOD }),
          ),
        ],
        [
          functionGraph('Lambda errors per function', functions, (fn) =>
            fn.metricErrors({ statistic: Stats.SUM, period: PERIOD }),
          ),
          functionGraph('Lambda throttles per function', functions, (fn) =>
            fn.metricThrottles({ statistic: Stats.SUM, period: PERIOD }),
          ),
        ],
        uploadsRow(props.metricsNamespace),
        [
          graph('Cleanup backlog: stream iterator age (ms)', [
            props.cleanupFunction.metric('IteratorAge', {
              statistic: Stats.MAXIMUM,
              period: PERIOD,
              label: 'Age of the oldest unprocessed TTL deletion',
            }),
          ]),
          graph('Cleanup dead-letter queue', [
            deadLetters,
            props.cleanupFailures.metricApproximateAgeOfOldestMessage({
              statistic: Stats.MAXIMUM,
              period: PERIOD,
              label: 'Age of the oldest record (s)',
            }),
          ]),
          graph('Cleanup errors logged', [cleanupErrors]),
        ],
        [
          graph(
            'DynamoDB throttled requests by operation',
            TABLE_OPERATIONS.map((op) => tableMetric(props.table, 'ThrottledRequests', op)),
          ),
          graph(
            'DynamoDB system errors by operation',
            TABLE_OPERATIONS.map((op) => tableMetric(props.table, 'SystemErrors', op)),
          ),
          graph('DynamoDB consumed capacity units', [
            props.table.metricConsumedReadCapacityUnits({ period: PERIOD, label: 'Read' }),
            props.table.metricConsumedWriteCapacityUnits({ period: PERIOD, label: 'Write' }),
          ]),
        ],
      ],
    });
  }
}

interface AlarmOptions {
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly alarmDescription: string;
  /** Anchor of the alarm's section in docs/runbook.md. */
  readonly runbook: string;
}

/** The stage's request metrics (ApiId and Stage dimensions), summed per period. */
function apiMetrics(stage: IHttpStage) {
  return {
    count: stage.metricCount({ statistic: Stats.SUM, period: PERIOD, label: 'Requests' }),
    clientErrors: stage.metricClientError({ period: PERIOD, label: '4xx' }),
    serverErrors: stage.metricServerError({ period: PERIOD, label: '5xx' }),
    latency: (p: number) =>
      stage.metricLatency({ statistic: Stats.p(p), period: PERIOD, label: `p${p}` }),
  };
}

function apiRow(api: ReturnType<typeof apiMetrics>, serverErrorRate: Alarm): IWidget[] {
  return [
    graph('API requests', [api.count, api.clientErrors, api.serverErrors]),
    new AlarmWidget({ title: 'API 5xx rate (%)', alarm: serverErrorRate, width: 8, height: 6 }),
    graph('API latency (ms)', [api.latency(50), api.latency(99)]),
  ];
}

/** Requests, 4xx and 5xx of each route: the stage's detailed metrics (ApiId, Stage, Route). */
function routeRow(stage: IHttpStage): IWidget[] {
  const byRoute = (metricName: string) =>
    ROUTES.map(
      (route) =>
        new Metric({
          namespace: 'AWS/ApiGateway',
          metricName,
          dimensionsMap: {
            ApiId: stage.api.apiId,
            Stage: stage.stageName,
            // The route key, exactly as the HTTP API was given it: "POST /api/v1/uploads/initiate".
            Route: HttpRouteKey.with(route.path, HttpMethod[route.method]).key,
          },
          statistic: Stats.SUM,
          period: PERIOD,
          label: route.id,
        }),
    );
  return [
    graph('Requests by route', byRoute('Count')),
    graph('4xx by route', byRoute('4xx')),
    graph('5xx by route', byRoute('5xx')),
  ];
}

/** The upload lifecycle as the functions count it (functions/commons/upload-metrics.ts). */
function uploadsRow(namespace: string): IWidget[] {
  const upload = (metricName: string, label: string) =>
    new Metric({
      namespace,
      metricName,
      dimensionsMap: { service: SERVICE_NAME },
      statistic: Stats.SUM,
      period: PERIOD,
      label,
    });
  return [
    new GraphWidget({
      title: 'Uploads',
      left: [
        upload(METRIC.initiated, 'Initiated'),
        upload(METRIC.completed, 'Completed'),
        upload(METRIC.failed, 'Failed'),
        upload(METRIC.cancelled, 'Cancelled'),
        upload(METRIC.expired, 'Expired unfinished'),
      ],
      width: 16,
      height: 6,
    }),
    graph('Bytes completed', [upload(METRIC.bytesCompleted, 'Bytes')]),
  ];
}

/** One line per function, labelled with its id. */
function functionGraph(
  title: string,
  functions: readonly [FunctionId, IFunction][],
  metric: (fn: IFunction) => Metric,
  width = 12,
): GraphWidget {
  return new GraphWidget({
    title,
    left: functions.map(([fnId, fn]) => metric(fn).with({ label: fnId })),
    width,
    height: 6,
  });
}

function graph(title: string, metrics: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left: metrics, width: 8, height: 6 });
}

function tableMetric(table: ITable, metricName: string, operation: Operation): Metric {
  return new Metric({
    namespace: 'AWS/DynamoDB',
    metricName,
    dimensionsMap: { TableName: table.tableName, Operation: operation },
    statistic: Stats.SUM,
    period: PERIOD,
    label: operation,
  });
}

/** A sum over metrics that may each have no data in a period (no data counts as 0). */
function sumOf(label: string, metrics: Record<string, IMetric>): MathExpression {
  return new MathExpression({
    expression: Object.keys(metrics)
      .map((m) => `FILL(${m}, 0)`)
      .join(' + '),
    usingMetrics: metrics,
    label,
    period: PERIOD,
  });
}
