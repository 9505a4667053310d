import { afterAll, afterEach, beforeAll } from 'vitest';
import { describeFaultTable } from '../support/fault-table.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { hookHandlers, type SdkHooks } from '../support/sdk-hooks.ts';

let harness: Harness;
let hooks: SdkHooks;

beforeAll(async () => {
  harness = await startHarness({ COMPLETION_WAIT_MS: '300', POWERTOOLS_LOG_LEVEL: 'SILENT' });
  hooks = await hookHandlers();
});
afterEach(() => hooks.clear());
afterAll(() => harness?.close());

// The route x call x outage table for the two routes that change the most state.
describeFaultTable(() => ({ harness, hooks }), ['complete', 'cancel']);
