import { fileURLToPath } from 'node:url';
import { type Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const FUNCTIONS_DIR = fileURLToPath(new URL('../functions/', import.meta.url));

/**
 * ESM has no `require`: a bundled CommonJS module that requires a Node built-in would throw
 * "Dynamic require is not supported" at cold start. Today's bundles load without it; the shim
 * keeps a future dependency from breaking them.
 */
const REQUIRE_SHIM =
  "import { createRequire as __cdkCreateRequire } from 'node:module'; const require = __cdkCreateRequire(import.meta.url);";

export interface UploadFunctionProps {
  /** Module name under functions/, without `.ts`. */
  readonly handler: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly tracing: boolean;
  /** false: `@aws-sdk/*` (and `@smithy/*`) come from the Lambda runtime. */
  readonly bundleAwsSdk: boolean;
}

/**
 * The defaults every function shares, in one place: Node.js 24 on arm64, an ESM bundle built
 * locally by esbuild, its own log group with a fixed retention and its own role that may only
 * write to that log group. Grants are added by the caller.
 */
export class UploadFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: UploadFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.handler}: writes its own logs; storage grants per route`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${FUNCTIONS_DIR}${props.handler}.ts`,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        banner: REQUIRE_SHIM,
        // By default the SDK is bundled at the version the tests ran against: presigning
        // (checksum defaults) depends on it, and the runtime's copy changes without notice.
        // Otherwise CDK's runtime-provided externals apply.
        ...(props.bundleAwsSdk ? { bundleAwsSDK: true, externalModules: [] } : {}),
      },
    });
    if (props.tracing) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.',
      });
    }
  }
}
