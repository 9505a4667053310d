import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { UploadEvents } from '../../src/domain/ports.ts';

/**
 * CloudWatch metrics in the embedded metric format: one JSON line on stdout per invocation that
 * recorded any, which Lambda's log pipeline turns into metrics (no API call, no extra latency).
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'UploadApi',
  serviceName: 'upload-api',
});

export const METRIC = {
  initiated: 'UploadsInitiated',
  completed: 'UploadsCompleted',
  failed: 'UploadsFailed',
  cancelled: 'UploadsCancelled',
  expired: 'UploadsExpired',
  bytesCompleted: 'BytesCompleted',
} as const;

export function uploadEvents(target: Metrics = metrics): UploadEvents {
  return {
    initiated: () => target.addMetric(METRIC.initiated, MetricUnit.Count, 1),
    completed: (bytes) => {
      target.addMetric(METRIC.completed, MetricUnit.Count, 1);
      target.addMetric(METRIC.bytesCompleted, MetricUnit.Bytes, bytes);
    },
    failed: () => target.addMetric(METRIC.failed, MetricUnit.Count, 1),
    cancelled: () => target.addMetric(METRIC.cancelled, MetricUnit.Count, 1),
  };
}

/** Publishes what this invocation recorded; invocations that recorded nothing print nothing. */
export function publishMetrics(target: Metrics = metrics): void {
  if (target.hasStoredMetrics()) target.publishStoredMetrics();
}
