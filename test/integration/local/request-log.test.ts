import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../../local/request-log.ts';
import type { ApiServer } from '../../../local/server.ts';
import { ApiClient } from '../../support/api-client.ts';
import { type Harness, startHarness } from '../../support/harness.ts';
import { hookHandlers, type SdkHooks, serviceError } from '../../support/sdk-hooks.ts';

/** `npm start`'s readable log: a second server on the harness's handlers, lines collected. */
let harness: Harness;
let server: ApiServer;
let hooks: SdkHooks;
const lines: string[] = [];
const records: RequestRecord[] = [];

beforeAll(async () => {
  harness = await startHarness({
    POWERTOOLS_LOG_LEVEL: 'INFO', // as deployed: one access line per request
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const { startApiServer } = await import('../../../local/server.ts');
  server = await startApiServer({
    port: 0,
    logFormat: 'pretty',
    print: (line) => lines.push(line),
    onRequest: (record) => records.push(record),
  });
  hooks = await hookHandlers();
});
afterAll(async () => {
  hooks?.clear();
  await server?.close();
  await harness?.close();
});

/** The server logs after it answers: wait for the line of the request just made. */
async function settled(count: number): Promise<void> {
  for (let i = 0; i < 100 && records.length < count; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('the readable request log', () => {
  it('prints one line per request, with route, status, duration, session and error code', async () => {
    // Prepare
    const alice = await harness.as('alice-logged');
    const api = new ApiClient(server.url, alice.token);
    lines.length = 0;
    records.length = 0;

    // Act
    const created = await api.initiate({ fileName: 'a.bin', fileSize: 12, checksum: 'NONE' });
    const id = created.body.data.id as string;
    await api.request('GET', `/uploads/${id}/progress`);
    await api.request('POST', `/uploads/${id}/complete`);
    await new ApiClient(server.url, 'not-a-token').request('GET', '/uploads');
    await settled(4);

    // Assess
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} POST +\/uploads\/initiate +201 +\d+ ms$/);
    expect(lines[1]).toMatch(
      new RegExp(`^\\S+ GET +/uploads/\\{id\\}/progress +200 +\\d+ ms  session ${id}$`),
    );
    expect(lines[2]).toMatch(
      new RegExp(`/uploads/\\{id\\}/complete +409 +\\d+ ms  session ${id}  CHUNKS_MISSING: `),
    );
    expect(lines[3]).toMatch(
      /GET +\/uploads +401 +\d+ ms {2}UNAUTHORIZED: Missing or invalid token$/,
    );
    expect(records.map((r) => r.routeId)).toEqual([
      'initiate',
      'progress',
      'complete',
      'listUploads',
    ]);
    // The handlers' own JSON lines were captured and measured, not printed.
    for (const record of records.slice(0, 3)) {
      expect(record.logBytes).toBeGreaterThan(100);
      expect(record.handlerMs).toBeGreaterThan(0);
    }
    expect(records[3]?.handlerMs).toBeUndefined(); // refused before any handler ran
    expect(lines.join('\n')).not.toMatch(/"level"|"message"/);
  });

  it('prints the cause of a 5xx, which the answer hides, and never the token', async () => {
    // Prepare: storage fails with an error that quotes the caller's token.
    const bob = await harness.as('bob-logged');
    const api = new ApiClient(server.url, bob.token);
    const remove = hooks.use(async (call, send) => {
      if (call.command === 'CreateMultipartUploadCommand')
        throw serviceError('InternalError', 500, `storage broke for Bearer ${bob.token}`);
      return send();
    });
    lines.length = 0;
    records.length = 0;

    // Act
    const refused = await api.initiate({ fileName: 'b.bin', fileSize: 12, checksum: 'NONE' });
    remove();
    await settled(1);

    // Assess
    expect(refused.status).toBe(503);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /POST +\/uploads\/initiate +503 .* STORAGE_UNAVAILABLE: .*InternalError/,
    );
    expect(lines[0]).toContain('Bearer [REDACTED]');
    expect(lines[0]).not.toContain(bob.token);
  });
});
