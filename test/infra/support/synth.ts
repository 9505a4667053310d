import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, type IResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { UploadApiProps } from '../../../infra/upload-api-construct.ts';
import { UploadApiStack } from '../../../infra/upload-api-stack.ts';

/** The context `cdk synth` runs with (feature flags), so tests see the template it produces. */
export function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8'));
  return cdkJson.context as Record<string, unknown>;
}

const outdirs: string[] = [];

/** A fresh cloud assembly directory; `removeOutdirs` deletes them (bundles take ~25 MB). */
export function temporaryOutdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'upload-api-cdk-'));
  outdirs.push(dir);
  return dir;
}

/** For `afterAll`: removes every directory `temporaryOutdir` made in this test file. */
export function removeOutdirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Synthesized {
  readonly app: App;
  readonly stack: UploadApiStack;
  readonly template: Template;
}

/**
 * One stack from the cdk.json context. `bundle: false` skips esbuild (about 6 s for the 11
 * functions); the template is the same apart from the asset hashes.
 */
export function synthesize(uploadApi?: UploadApiProps, options = { bundle: false }): Synthesized {
  const app = new App({
    outdir: temporaryOutdir(),
    context: {
      ...cdkContext(),
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = new UploadApiStack(app, 'UploadApi', { ...(uploadApi ? { uploadApi } : {}) });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical ID a construct's CloudFormation resource gets. */
export function logicalId(resource: IResource): string {
  return Stack.of(resource).getLogicalId(resource.node.defaultChild as CfnElement);
}

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every Allow statement of the policies attached to a role, one entry per action. */
export function grantsOf(template: Template, roleLogicalId: string): Map<string, unknown[]> {
  const grants = new Map<string, unknown[]>();
  const policies = template.findResources('AWS::IAM::Policy');
  for (const policy of Object.values(policies)) {
    const roles = policy.Properties.Roles as { Ref: string }[];
    if (!roles.some((r) => r.Ref === roleLogicalId)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
      if (statement.Effect !== 'Allow') continue;
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      const resources = Array.isArray(statement.Resource)
        ? statement.Resource
        : [statement.Resource];
      for (const action of actions)
        grants.set(action, [...(grants.get(action) ?? []), ...resources]);
    }
  }
  return grants;
}

/** The role a function runs with. */
export function roleOf(template: Template, functionLogicalId: string): string {
  const fn = template.toJSON().Resources[functionLogicalId];
  return fn.Properties.Role['Fn::GetAtt'][0] as string;
}
