import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadApi } from '../../infra/upload-api-construct.ts';
import { resolveUploadApiProps, UploadApiPropsError } from '../../infra/upload-api-props.ts';
import { ROUTES } from '../../src/http/routes.ts';
import { logicalId, removeOutdirs, type Synthesized, synthesize } from './support/synth.ts';

const RUNBOOK = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');
const FUNCTION_IDS = [...ROUTES.map((r) => r.id), 'cleanup'] as const;
const UPLOAD_METRICS = [
  'UploadsInitiated',
  'UploadsCompleted',
  'UploadsFailed',
  'UploadsCancelled',
  'UploadsExpired',
  'BytesCompleted',
];
const TABLE_OPERATIONS = ['GetItem', 'Query', 'UpdateItem', 'TransactWriteItems'];
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:upload-api-alarms';

/** A metric of a dashboard widget: namespace, name, dimensions and rendering options. */
interface WidgetMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly options: Record<string, unknown>;
}

interface DashboardBody {
  readonly widgets: { type: string; properties: { title?: string; metrics?: unknown[][] } }[];
}

/** The dashboard body as JSON, with `{Ref:Id}` / `{GetAtt:Id.Attr}` where it names resources. */
function dashboardBody(template: Template): DashboardBody {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0]?.Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : (body['Fn::Join'][1] as unknown[])
          .map((part) => {
            if (typeof part === 'string') return part;
            const token = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
            if (token.Ref) return `{Ref:${token.Ref}}`;
            if (token['Fn::GetAtt']) return `{GetAtt:${token['Fn::GetAtt'].join('.')}}`;
            throw new Error(`unexpected token in the dashboard body: ${JSON.stringify(part)}`);
          })
          .join('');
  return JSON.parse(text) as DashboardBody;
}

/** Every plain metric graphed on the dashboard (math expressions left out). */
function widgetMetrics(body: DashboardBody): WidgetMetric[] {
  return body.widgets.flatMap((w) =>
    (w.properties.metrics ?? [])
      .filter((row) => typeof row[0] === 'string')
      .map((row) => {
        const last = row[row.length - 1];
        const options = typeof last === 'object' ? (last as Record<string, unknown>) : {};
        const names = (typeof last === 'object' ? row.slice(0, -1) : row) as string[];
        const [namespace = '', metricName = '', ...pairs] = names;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i] ?? ''] = pairs[i + 1] ?? '';
        return { namespace, metricName, dimensions, options };
      }),
  );
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
const anchors = (markdown: string) =>
  markdown
    .split('\n')
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) =>
      line
        .replace(/^#+ /, '')
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );

const alarmProps = (synth: Synthesized, alarm: Parameters<typeof logicalId>[0]) =>
  synth.template.toJSON().Resources[logicalId(alarm)].Properties as Record<string, unknown>;

describe('monitoring', () => {
  afterAll(removeOutdirs);

  let synth: Synthesized;
  let uploadApi: UploadApi;
  let metrics: WidgetMetric[];
  let ref: (resource: Parameters<typeof logicalId>[0]) => string;

  beforeAll(() => {
    synth = synthesize();
    uploadApi = synth.stack.uploadApi;
    metrics = widgetMetrics(dashboardBody(synth.template));
    ref = (resource) => `{Ref:${logicalId(resource)}}`;
  });

  describe('the dashboard', () => {
    const graphed = (namespace: string, metricName: string, dimensions: Record<string, string>) =>
      metrics.filter(
        (m) =>
          m.namespace === namespace &&
          m.metricName === metricName &&
          JSON.stringify(Object.entries(m.dimensions).sort()) ===
            JSON.stringify(Object.entries(dimensions).sort()),
      );

    it('graphs the requests, 4xx and 5xx of every route from the stage detailed metrics', () => {
      for (const route of ROUTES) {
        for (const metricName of ['Count', '4xx', '5xx']) {
          const found = graphed('AWS/ApiGateway', metricName, {
            ApiId: ref(uploadApi.httpApi),
            Stage: '$default',
            Route: `${route.method} ${route.path}`,
          });
          expect(found, `${metricName} of ${route.id}`).toHaveLength(1);
          expect(found[0]?.options).toMatchObject({ label: route.id, stat: 'Sum' });
        }
      }
      // Route metrics exist only when the stage publishes them.
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { DetailedMetricsEnabled: true, ThrottlingRateLimit: 100 },
      });
    });

    it('graphs the API totals and latency', () => {
      const stage = { ApiId: ref(uploadApi.httpApi), Stage: '$default' };
      for (const metricName of ['Count', '4xx', '5xx']) {
        expect(graphed('AWS/ApiGateway', metricName, stage), metricName).toHaveLength(1);
      }
      const latency = graphed('AWS/ApiGateway', 'Latency', stage).map((m) => m.options.stat);
      expect(latency.sort()).toEqual(['p50', 'p99']);
    });

    it('graphs p50 and p99 duration, errors and throttles of every function', () => {
      const fns = { ...uploadApi.functions, cleanup: uploadApi.cleanupFunction };
      for (const id of FUNCTION_IDS) {
        const dimensions = { FunctionName: ref(fns[id]) };
        const duration = graphed('AWS/Lambda', 'Duration', dimensions).map((m) => m.options.stat);
        expect(duration.sort(), id).toEqual(['p50', 'p99']);
        expect(graphed('AWS/Lambda', 'Errors', dimensions), id).toHaveLength(1);
        expect(graphed('AWS/Lambda', 'Throttles', dimensions), id).toHaveLength(1);
      }
    });

    it('graphs the upload metrics the functions publish, in their namespace and service', () => {
      for (const metricName of UPLOAD_METRICS) {
        const found = graphed('UploadApi', metricName, { service: 'upload-api' });
        expect(found, metricName).toHaveLength(1);
        expect(found[0]?.options).toMatchObject({ stat: 'Sum' });
      }
    });

    it('graphs the cleanup backlog, its dead-letter queue and its logged errors', () => {
      const cleanup = { FunctionName: ref(uploadApi.cleanupFunction) };
      expect(graphed('AWS/Lambda', 'IteratorAge', cleanup)).toHaveLength(1);
      const queue = { QueueName: `{GetAtt:${logicalId(uploadApi.cleanupFailures)}.QueueName}` };
      expect(graphed('AWS/SQS', 'ApproximateNumberOfMessagesVisible', queue)).toHaveLength(1);
      expect(graphed('AWS/SQS', 'ApproximateAgeOfOldestMessage', queue)).toHaveLength(1);
      expect(graphed('UploadApi', 'CleanupErrors', {})).toHaveLength(1);
    });

    it('graphs DynamoDB throttled requests and system errors of every operation the code uses', () => {
      for (const op of TABLE_OPERATIONS) {
        const dimensions = { TableName: ref(uploadApi.table), Operation: op };
        expect(graphed('AWS/DynamoDB', 'ThrottledRequests', dimensions), op).toHaveLength(1);
        expect(graphed('AWS/DynamoDB', 'SystemErrors', dimensions), op).toHaveLength(1);
      }
    });

    it('shows every alarm, and names the dashboard in an output', () => {
      const body = dashboardBody(synth.template);
      const status = body.widgets.find(
        (w) => w.type === 'alarm' && w.properties.title === 'Alarms',
      );
      const listed = ((status?.properties ?? {}) as { alarms?: string[] }).alarms ?? [];
      expect(listed.sort()).toEqual(
        uploadApi.allAlarms.map((a) => `{GetAtt:${logicalId(a)}.Arn}`).sort(),
      );
      expect(synth.template.toJSON().Outputs.DashboardName.Value).toEqual({
        Ref: logicalId(uploadApi.dashboard as NonNullable<UploadApi['dashboard']>),
      });
    });

    it('has every widget listed in the runbook', () => {
      const titles = dashboardBody(synth.template).widgets.flatMap((w) =>
        w.properties.title ? [w.properties.title] : [],
      );
      expect(titles.length).toBeGreaterThan(10);
      for (const title of titles) expect(RUNBOOK, title).toContain(`**${title}**`);
    });
  });

  describe('the alarms', () => {
    it('alarms when 5% of at least 20 requests in 5 minutes were answered 5xx', () => {
      const props = alarmProps(synth, uploadApi.alarms?.serverErrorRate as never);
      expect(props).toMatchObject({
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 5,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
      });
      const queries = props.Metrics as {
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] }; Period: number };
      }[];
      const expression = queries.find((q) => q.Expression)?.Expression;
      expect(expression).toBe('IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)');
      const stage = [
        { Name: 'ApiId', Value: { Ref: logicalId(uploadApi.httpApi) } },
        { Name: 'Stage', Value: '$default' },
      ];
      for (const [id, metricName] of [
        ['requests', 'Count'],
        ['errors', '5xx'],
      ]) {
        expect(queries.find((q) => q.Id === id)?.MetricStat).toMatchObject({
          Metric: { Namespace: 'AWS/ApiGateway', MetricName: metricName, Dimensions: stage },
          Period: 300,
          Stat: 'Sum',
        });
      }
    });

    it('alarms on any runtime error or throttle of any function, one alarm per function', () => {
      const fns = { ...uploadApi.functions, cleanup: uploadApi.cleanupFunction };
      for (const id of FUNCTION_IDS) {
        for (const [alarms, metricName] of [
          [uploadApi.alarms?.functionErrors, 'Errors'],
          [uploadApi.alarms?.functionThrottles, 'Throttles'],
        ] as const) {
          expect(alarmProps(synth, alarms?.[id] as never), `${metricName} of ${id}`).toMatchObject({
            Namespace: 'AWS/Lambda',
            MetricName: metricName,
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fns[id]) } }],
            Statistic: 'Sum',
            Period: 300,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            Threshold: 1,
            EvaluationPeriods: 1,
            TreatMissingData: 'notBreaching',
          });
        }
      }
    });

    it('alarms on any throttled request to the table, whatever the operation', () => {
      const props = alarmProps(synth, uploadApi.alarms?.tableThrottles as never);
      expect(props).toMatchObject({
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      const queries = props.Metrics as {
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string; Dimensions: { Value: unknown }[] } };
      }[];
      expect(queries.find((q) => q.Expression)?.Expression).toMatch(/^FILL\(\w+, 0\)( \+ FILL)/);
      const operations = queries.flatMap((q) =>
        q.MetricStat ? [q.MetricStat.Metric.Dimensions.map((d) => d.Value)] : [],
      );
      expect(operations.map(([op]) => op).sort()).toEqual([...TABLE_OPERATIONS].sort());
      for (const q of queries.filter((q) => q.MetricStat)) {
        expect(q.MetricStat?.Metric.MetricName).toBe('ThrottledRequests');
      }
    });

    it('alarms as soon as the cleanup dead-letter queue holds a record', () => {
      const props = alarmProps(synth, uploadApi.alarms?.cleanupDeadLetters as never);
      expect(props).toMatchObject({
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        Metrics: [
          {
            MetricStat: {
              Metric: {
                Namespace: 'AWS/SQS',
                MetricName: 'ApproximateNumberOfMessagesVisible',
                Dimensions: [
                  {
                    Name: 'QueueName',
                    Value: { 'Fn::GetAtt': [logicalId(uploadApi.cleanupFailures), 'QueueName'] },
                  },
                ],
              },
              Period: 300,
              Stat: 'Maximum',
            },
          },
        ],
      });
    });

    it('alarms on any error the cleanup function logs, counted by a metric filter', () => {
      const props = alarmProps(synth, uploadApi.alarms?.cleanupErrors as never);
      expect(props).toMatchObject({
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
        Metrics: [
          {
            MetricStat: {
              Metric: { Namespace: 'UploadApi', MetricName: 'CleanupErrors' },
              Period: 300,
              Stat: 'Sum',
            },
          },
        ],
      });
      const cleanupLogGroup =
        synth.template.toJSON().Resources[logicalId(uploadApi.cleanupFunction)].Properties
          .LoggingConfig.LogGroup.Ref;
      synth.template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: cleanupLogGroup },
        FilterPattern: '{ $.level = "ERROR" }',
        MetricTransformations: [
          { MetricNamespace: 'UploadApi', MetricName: 'CleanupErrors', MetricValue: '1' },
        ],
      });
    });

    it('has 30 alarms, each pointing at its section of the runbook, and notifies nobody by default', () => {
      const alarms = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(1 + 2 * FUNCTION_IDS.length + 3);
      expect(uploadApi.allAlarms).toHaveLength(alarms.length);
      const sections = anchors(RUNBOOK);
      for (const alarm of alarms) {
        const description = alarm.Properties.AlarmDescription as string;
        const anchor = /docs\/runbook\.md#([a-z0-9-]+)$/.exec(description)?.[1];
        expect(sections, description).toContain(anchor);
        expect(alarm.Properties.AlarmActions).toBeUndefined();
        expect(alarm.Properties.OKActions).toBeUndefined();
      }
    });
  });

  describe('with an alarm topic, a namespace and thresholds', () => {
    let custom: Synthesized;

    beforeAll(() => {
      const alarmTopic = Topic.fromTopicArn(new Stack(new App(), 'Alerts'), 'Alarms', TOPIC_ARN);
      custom = synthesize({
        alarmTopic,
        metricsNamespace: 'Acme/Uploads',
        alarmThresholds: { serverErrorRatePercent: 2 },
      });
    });

    it('notifies the topic when any alarm fires and when it recovers', () => {
      const alarms = Object.values(custom.template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(custom.stack.uploadApi.allAlarms.length);
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toEqual([TOPIC_ARN]);
        expect(alarm.Properties.OKActions).toEqual([TOPIC_ARN]);
      }
    });

    it('reads the upload metrics from the configured namespace', () => {
      const names = widgetMetrics(dashboardBody(custom.template))
        .filter((m) => m.namespace === 'Acme/Uploads')
        .map((m) => m.metricName);
      expect(names.sort()).toEqual([...UPLOAD_METRICS, 'CleanupErrors'].sort());
      custom.template.hasResourceProperties('AWS::Logs::MetricFilter', {
        MetricTransformations: [{ MetricNamespace: 'Acme/Uploads', MetricName: 'CleanupErrors' }],
      });
    });

    it('applies the given 5xx rate and keeps the default minimum of requests', () => {
      const props = alarmProps(custom, custom.stack.uploadApi.alarms?.serverErrorRate as never);
      expect(props.Threshold).toBe(2);
      expect(JSON.stringify(props.Metrics)).toContain('IF(requests >= 20,');
    });
  });

  describe('turned off', () => {
    let off: Synthesized;

    beforeAll(() => {
      off = synthesize({ monitoring: false });
    });

    it('creates no dashboard, alarm, metric filter, output or per-route metrics', () => {
      for (const type of [
        'AWS::CloudWatch::Dashboard',
        'AWS::CloudWatch::Alarm',
        'AWS::Logs::MetricFilter',
      ]) {
        off.template.resourceCountIs(type, 0);
      }
      expect(Object.keys(off.template.toJSON().Outputs)).not.toContain('DashboardName');
      const stage = Object.values(off.template.findResources('AWS::ApiGatewayV2::Stage'))[0];
      expect(stage?.Properties.DefaultRouteSettings.DetailedMetricsEnabled).toBeUndefined();
      expect(off.stack.uploadApi.monitoring).toBeUndefined();
      expect(off.stack.uploadApi.dashboard).toBeUndefined();
      expect(off.stack.uploadApi.alarms).toBeUndefined();
      expect(off.stack.uploadApi.allAlarms).toEqual([]);
    });
  });

  describe('without per-route metrics', () => {
    it('graphs invocations per function instead, and leaves the stage detailed metrics off', () => {
      const plain = synthesize({ routeMetrics: false });
      const graphedMetrics = widgetMetrics(dashboardBody(plain.template));
      expect(graphedMetrics.filter((m) => 'Route' in m.dimensions)).toEqual([]);
      const invocations = graphedMetrics.filter((m) => m.metricName === 'Invocations');
      expect(invocations.map((m) => m.options.label).sort()).toEqual([...FUNCTION_IDS].sort());
      const stage = Object.values(plain.template.findResources('AWS::ApiGatewayV2::Stage'))[0];
      expect(stage?.Properties.DefaultRouteSettings.DetailedMetricsEnabled).toBeUndefined();
      plain.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    });
  });

  describe('props', () => {
    it('defaults to monitoring with per-route metrics, no topic and a 5% / 20 request 5xx alarm', () => {
      expect(resolveUploadApiProps()).toMatchObject({
        monitoring: true,
        routeMetrics: true,
        alarmTopic: undefined,
        alarmThresholds: { serverErrorRatePercent: 5, serverErrorMinRequests: 20 },
      });
      expect(resolveUploadApiProps({ monitoring: false }).routeMetrics).toBe(false);
      expect(resolveUploadApiProps({ monitoring: false, routeMetrics: true }).routeMetrics).toBe(
        true,
      );
    });

    it.each([
      [{ monitoring: false, alarmTopic: 'topic' }, /alarmTopic requires monitoring/],
      [{ alarmThresholds: { serverErrorRatePercent: 0 } }, /serverErrorRatePercent must be/],
      [{ alarmThresholds: { serverErrorRatePercent: 101 } }, /serverErrorRatePercent must be/],
      [{ alarmThresholds: { serverErrorMinRequests: 0.5 } }, /serverErrorMinRequests must be/],
    ])('rejects %j', (props, message) => {
      const alarmTopic =
        'alarmTopic' in props
          ? Topic.fromTopicArn(new Stack(new App(), 'Alerts'), 'Alarms', TOPIC_ARN)
          : undefined;
      const call = () =>
        resolveUploadApiProps({ ...props, ...(alarmTopic ? { alarmTopic } : {}) } as never);
      expect(call).toThrow(UploadApiPropsError);
      expect(call).toThrow(message);
    });
  });
});
