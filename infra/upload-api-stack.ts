import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { UploadApi, type UploadApiProps } from './upload-api-construct.ts';

export interface UploadApiStackProps extends StackProps {
  readonly uploadApi?: UploadApiProps;
}

/** Composes the UploadApi construct and declares what a client or operator needs to know. */
export class UploadApiStack extends Stack {
  readonly uploadApi: UploadApi;

  constructor(scope: Construct, id: string, props: UploadApiStackProps = {}) {
    super(scope, id, props);
    this.uploadApi = new UploadApi(this, 'UploadApi', props.uploadApi);
    const { apiUrl, bucket, table, userPool, userPoolClient, dashboard, liveUrl, siteUrl } =
      this.uploadApi;

    new CfnOutput(this, 'ApiUrl', {
      value: `${apiUrl}api/v1`,
      description: 'Base URL of the upload API',
    });
    new CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    if (userPool && userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: userPoolClient.userPoolClientId });
    }
    if (liveUrl) {
      new CfnOutput(this, 'LiveUrl', {
        value: liveUrl,
        description: "WebSocket URL of live progress (the SDK's liveUrl, the CLI's --live-url)",
      });
    }
    if (siteUrl) {
      new CfnOutput(this, 'SiteUrl', {
        value: siteUrl,
        description: 'The upload page (signs in through the hosted UI when it can)',
      });
    }
    if (dashboard) {
      new CfnOutput(this, 'DashboardName', {
        value: dashboard.dashboardName,
        description: 'CloudWatch dashboard of the upload API (docs/runbook.md)',
      });
    }
  }
}
