import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../support/harness.ts';

let harness: Harness;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  harness = await startHarness({ POWERTOOLS_METRICS_DISABLED: 'true' });
});
afterAll(async () => {
  agent.destroy();
  await harness?.close();
});

/** A request line sent exactly as given (fetch would normalise the path and refuse raw bytes). */
function raw(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const { hostname, port } = new URL(harness.url);
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: hostname, port, method, path, headers: options.headers });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('local API Gateway emulation', () => {
  it('answers a path of empty segments with the gateway 404, not a 500', async () => {
    // Act
    const res = await raw('GET', '///');

    // Assess
    expect({ status: res.status, body: JSON.parse(res.text) }).toEqual({
      status: 404,
      body: { message: 'Not Found' },
    });
  });

  it('ignores a Host header that is no host and still routes the request', async () => {
    // Act
    const res = await raw('GET', '/api/v1/uploads', { headers: { host: 'a b/c' } });

    // Assess
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text).error.code).toBe('UNAUTHORIZED');
  });

  it('answers an unparsable request line with a JSON 400', async () => {
    // Act: a raw latin-1 byte in the path.
    const res = await raw('GET', '/api/v1/uploads/\u00e9');

    // Assess
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.text)).toEqual({ message: 'Bad Request' });
  });

  it('closes the connection after refusing an oversized body, so the next request is served', async () => {
    // Prepare
    const token = (await harness.as('alice')).token;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    // Act
    const tooLarge = await raw('POST', '/api/v1/uploads/initiate', {
      headers,
      body: `{"fileName":"${'a'.repeat(2 * 1024 * 1024)}"}`,
    });
    const next = await raw('POST', '/api/v1/uploads/initiate', { headers, body: '{}' });

    // Assess
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.headers.connection).toBe('close');
    expect(JSON.parse(tooLarge.text).error.code).toBe('VALIDATION_ERROR');
    expect(next.status).toBe(400);
    expect(
      JSON.parse(next.text).error.details.fields.map((f: { field: string }) => f.field),
    ).toEqual(['fileName', 'fileSize']);
  });
});
