import type { TestProject } from 'vitest/node';
import { type Emulators, startEmulators } from '../../local/emulator.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
    dynamodbEndpoint: string;
  }
}

let emulators: Emulators | undefined;

/**
 * One S3 (LocalStack, strict like S3) and one DynamoDB (moto) for the whole run, unless
 * AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL point elsewhere.
 */
export async function setup(project: TestProject): Promise<void> {
  emulators = await startEmulators({ log: (line) => console.log(`[emulator] ${line}`) });
  project.provide('s3Endpoint', emulators.s3Endpoint);
  project.provide('dynamodbEndpoint', emulators.dynamodbEndpoint);
}

export async function teardown(): Promise<void> {
  await emulators?.stop();
}
