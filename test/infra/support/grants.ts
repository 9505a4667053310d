import type { Template } from 'aws-cdk-lib/assertions';
import { grantsOf, roleOf } from './synth.ts';

/** Logical IDs of the resources a grant may name. */
export interface GrantTargets {
  readonly table: string;
  readonly bucket: string;
  readonly logGroup: string;
  readonly key?: string;
  readonly queue?: string;
}

export type Grants = Record<string, string[]>;

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });

/**
 * A function's grants by the resource they name: `table`, `index` (GSI1), `objects`
 * (uploads/*), `bucket`, `key`, `logs` (its own log group), `stream`, `queue`, `*`; anything
 * else shows up as `other:<resource>` so that no grant goes unnoticed. Actions are sorted.
 */
export function grantsByResource(
  template: Template,
  functionLogicalId: string,
  targets: GrantTargets,
): Grants {
  const known: [string, unknown][] = [
    ['table', getAtt(targets.table)],
    ['index', join(getAtt(targets.table), '/index/GSI1')],
    ['stream', getAtt(targets.table, 'StreamArn')],
    ['objects', join(getAtt(targets.bucket), '/uploads/*')],
    ['bucket', getAtt(targets.bucket)],
    ['logs', getAtt(targets.logGroup)],
    ['*', '*'],
    ...(targets.key ? [['key', getAtt(targets.key)] as [string, unknown]] : []),
    ...(targets.queue ? [['queue', getAtt(targets.queue)] as [string, unknown]] : []),
  ];
  const out: Grants = {};
  for (const [action, resources] of grantsOf(template, roleOf(template, functionLogicalId))) {
    for (const resource of resources) {
      const json = JSON.stringify(resource);
      const name = known.find(([, r]) => JSON.stringify(r) === json)?.[0] ?? `other:${json}`;
      out[name] = [...new Set([...(out[name] ?? []), action])].sort();
    }
  }
  return out;
}
