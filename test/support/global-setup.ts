import type { TestProject } from 'vitest/node';
import { type Emulator, startEmulator } from '../../local/emulator.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string;
  }
}

let emulator: Emulator | undefined;

/** One emulator for the whole run, unless AWS_ENDPOINT_URL points at LocalStack or real AWS. */
export async function setup(project: TestProject): Promise<void> {
  const configured = process.env.AWS_ENDPOINT_URL;
  if (!configured)
    emulator = await startEmulator({ log: (line) => console.log(`[emulator] ${line}`) });
  project.provide('awsEndpoint', configured ?? emulator?.endpoint ?? '');
}

export async function teardown(): Promise<void> {
  await emulator?.stop();
}
