import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { UploadApiProps } from './upload-api-construct.ts';
import { UploadApiStack } from './upload-api-stack.ts';

/**
 * Environment-agnostic on purpose: no lookups, so `cdk synth` runs offline without credentials.
 * Optional context: `-c allowedOrigins=https://a.example,https://b.example`,
 * `-c jwtIssuer=https://issuer.example -c jwtAudience=client-id` (no user pool is created),
 * `-c site=true` (the upload page on CloudFront, built from web/ during synthesis).
 */
const app = new App();
const list = (key: string): string[] | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' ? value.split(',').map((s) => s.trim()) : undefined;
};
const jwtIssuer: unknown = app.node.tryGetContext('jwtIssuer');
const allowedOrigins = list('allowedOrigins');
const jwtAudience = list('jwtAudience');
const site: unknown = app.node.tryGetContext('site');
const uploadApi: UploadApiProps = {
  ...(allowedOrigins ? { allowedOrigins } : {}),
  ...(typeof jwtIssuer === 'string' ? { jwtIssuer } : {}),
  ...(jwtAudience ? { jwtAudience } : {}),
  ...(site === true || site === 'true' ? { site: true } : {}),
};

new UploadApiStack(app, 'UploadApi', {
  description: 'Resumable upload API: S3 multipart uploads, DynamoDB ledger, Lambda, HTTP API',
  uploadApi,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
