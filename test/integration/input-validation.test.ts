import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ApiResponse } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';

let harness: Harness;
let alice: ApiClient;

beforeAll(async () => {
  harness = await startHarness();
  alice = await harness.as('input-validation');
});
afterAll(() => harness?.close());

const fieldsOf = (res: ApiResponse): string[] =>
  (res.body?.error?.details?.fields ?? []).map((f: { field: string }) => f.field);

/** Sent as raw JSON text: a `__proto__` key in an object literal would set the prototype instead. */
const initiateRaw = (json: string) => alice.request('POST', '/uploads/initiate', json);

describe('metadata through POST /uploads/initiate', () => {
  it.each(['constructor', '__proto__', 'prototype'])(
    'refuses the reserved key %s with 400 naming the field',
    async (key) => {
      // Act
      const res = await initiateRaw(
        `{"fileName":"a.txt","fileSize":1,"checksum":"NONE","metadata":{"${key}":"x"}}`,
      );

      // Assess
      expect({ status: res.status, code: res.body.error?.code }).toEqual({
        status: 400,
        code: 'VALIDATION_ERROR',
      });
      expect(res.body.error.details.fields).toEqual([
        { field: `metadata.${key}`, message: 'reserved key' },
      ]);
    },
  );

  it('stores a valid metadata object and returns it unchanged', async () => {
    // Prepare: only the three keys above are reserved; other Object.prototype names are data.
    const metadata = {
      project: 'apollo',
      'owner-id': 'u_1',
      Constructor: 'ok',
      toString: 'text',
      hasOwnProperty: 'yes',
      empty: '',
    };

    // Act
    const created = await alice.initiate({
      fileName: 'meta.txt',
      fileSize: 1,
      checksum: 'NONE',
      metadata,
    });
    const read = await alice.request('GET', `/uploads/${created.body.data?.id}`);

    // Assess
    expect(created.status).toBe(201);
    expect(created.body.data.metadata).toEqual(metadata);
    expect(read.body.data.metadata).toEqual(metadata);
  });
});

describe('fileName through POST /uploads/initiate', () => {
  it.each([
    ['right-to-left override', 'invoice\u202Egpj.exe'],
    ['zero-width space', 'a\u200Bb.txt'],
    ['byte order mark', '\uFEFFa.txt'],
    ['first strong isolate', 'a\u2068b.txt'],
    ['pop directional isolate', 'a\u2069b.txt'],
    ['soft hyphen', 'a\u00ADb.txt'],
    ['C1 control (NEL)', 'a\u0085b.txt'],
    ['line separator', 'a\u2028b.txt'],
  ])('refuses a %s with 400 on fileName', async (_label, fileName) => {
    // Act
    const res = await alice.initiate({ fileName, fileSize: 1, checksum: 'NONE' });

    // Assess
    expect({ status: res.status, code: res.body.error?.code }).toEqual({
      status: 400,
      code: 'VALIDATION_ERROR',
    });
    expect(fieldsOf(res)).toEqual(['fileName']);
  });
});

describe('contentType through POST /uploads/initiate', () => {
  it.each([
    ['a line break before a parameter', 'text/plain;\r\nx-amz-acl=public-read'],
    ['a newline as whitespace', 'text/plain\n; charset=utf-8'],
    ['a non-Latin-1 quoted value', 'text/plain; name="日本"'],
    ['a no-break space', 'text/plain;\u00a0charset=utf-8'],
  ])('refuses %s with 400 on contentType', async (_label, contentType) => {
    // Act
    const res = await alice.initiate({
      fileName: 'a.txt',
      fileSize: 1,
      checksum: 'NONE',
      contentType,
    });

    // Assess
    expect({ status: res.status, code: res.body.error?.code }).toEqual({
      status: 400,
      code: 'VALIDATION_ERROR',
    });
    expect(fieldsOf(res)).toEqual(['contentType']);
  });

  it('accepts parameters separated by spaces and tabs, and quoted values', async () => {
    // Act
    const res = await alice.initiate({
      fileName: 'a.txt',
      fileSize: 1,
      checksum: 'NONE',
      contentType: 'text/plain; charset=utf-8;\tname="a b"',
    });

    // Assess
    expect(res.status).toBe(201);
    expect(res.body.data.contentType).toBe('text/plain; charset=utf-8;\tname="a b"');
  });
});
