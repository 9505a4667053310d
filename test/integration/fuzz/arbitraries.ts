import fc from 'fast-check';

/** Replay a failure with FUZZ_SEED=<seed>; FUZZ_RUNS scales every property's run count. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20260101);
const BASE_RUNS = Number(process.env.FUZZ_RUNS ?? 100);
export const runs = (scale: number): number => Math.max(1, Math.round(BASE_RUNS * scale));
export const fuzzOptions = (scale: number) => ({ seed: FUZZ_SEED, numRuns: runs(scale) });

const MIB = 1024 * 1024;
const TIB = 1024 * 1024 * MIB;

export const SHA_OF_EMPTY = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

/** Any text: printable, full unicode (lone surrogates included) and control characters. */
export const anyText = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)) }),
  );

/** Numbers at and around every boundary the API has, and the ones JSON can barely carry. */
export const anyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 20 * MIB }),
  fc.integer({ min: -1e6, max: -1 }),
  fc.double({ noNaN: true }),
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    5 * MIB - 1,
    5 * MIB,
    5 * 1024 * MIB,
    5 * 1024 * MIB + 1,
    5 * TIB,
    5 * TIB + 1,
    2 ** 31,
    2 ** 53 - 1,
    2 ** 53,
    1e21,
    1e308,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
  ),
);

/** A value of some other JSON type than the field wants. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.string({ maxLength: 10 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  anyNumber.map(String),
);

/** A field that is either absent, well formed, or garbage. */
const field = <T>(valid: fc.Arbitrary<T>, garbage: fc.Arbitrary<unknown> = wrongType) =>
  fc.option(fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: garbage, weight: 1 }), {
    nil: undefined,
    freq: 4,
  });

export const sha256Like: fc.Arbitrary<string> = fc.oneof(
  fc.base64String({ minLength: 44, maxLength: 44 }),
  fc.constant(SHA_OF_EMPTY),
  anyText(50),
);

export const fileNameArb: fc.Arbitrary<string> = fc.oneof(
  anyText(40),
  fc.string({ unit: 'grapheme', minLength: 200, maxLength: 300 }),
  fc.constantFrom(
    '..',
    '.',
    '...',
    '../../etc/passwd',
    '..\\..\\windows\\win.ini',
    '/abs/x.bin',
    'a/b/c.txt',
    '%2e%2e%2fsecret',
    '\u202etxt.exe',
    'nul\u0000byte',
    'new\nline',
    '\ud800lone',
    'e\u0301',
    '.env',
    'CON',
    ' ',
    '',
  ),
  fc
    .tuple(fc.constantFrom('../', '..\\', '/', './', '~/'), fc.string({ maxLength: 20 }))
    .map(([a, b]) => a + b),
);

const metadataArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_-]{1,10}$/), fc.string({ maxLength: 30 }), {
    maxKeys: 5,
  }),
  fc.dictionary(anyText(80), anyText(40), { maxKeys: 40 }),
  fc.dictionary(fc.string({ maxLength: 70 }), fc.string({ minLength: 900, maxLength: 3000 }), {
    maxKeys: 4,
  }),
  fc.constant(JSON.parse('{"__proto__":"x","constructor":"y","toString":"z"}')),
);

const contentTypeArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'application/octet-stream',
    'text/plain; charset=utf-8',
    'image/png',
    'application/x-msdownload',
    'text/html;charset="utf\\-8"',
    '*/*',
    '',
  ),
  anyText(30),
);

export const initiateBodyArb: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      fileName: field(fileNameArb),
      fileSize: field(anyNumber),
      contentType: field(contentTypeArb),
      metadata: field(metadataArb),
      chunkSize: field(anyNumber),
      fileSha256: field(sha256Like),
      checksum: field(fc.constantFrom('SHA256', 'NONE', 'MD5', 'sha256', '')),
    },
    { requiredKeys: [] },
  )
  .chain((body) =>
    fc
      .dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
      .map((extra) => ({ ...extra, ...body })),
  );

const chunkNumberValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 0, max: 3 }),
  anyNumber,
  wrongType,
);

export const chunkUrlsBodyArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    chunks: fc.array(
      fc.record(
        { chunkNumber: chunkNumberValue, checksumSha256: sha256Like, extra: fc.jsonValue() },
        { requiredKeys: ['chunkNumber'] },
      ),
      { maxLength: 8 },
    ),
  }),
  fc.record({
    chunks: fc.array(fc.record({ chunkNumber: fc.nat(200) }), { minLength: 95, maxLength: 130 }),
  }),
  fc.record({ chunks: wrongType }),
);

export const recordBodyArb: fc.Arbitrary<unknown> = fc.record(
  {
    etag: fc.oneof(
      fc.stringMatching(/^[0-9a-f]{32}$/).map((h) => `"${h}"`),
      anyText(40),
      fc.string({ minLength: 250, maxLength: 300 }),
      wrongType,
    ),
    checksumSha256: fc.oneof(sha256Like, wrongType),
  },
  { requiredKeys: [] },
);

/** Batches of record entries: valid-looking, with repeated numbers, too many, or malformed. */
export const recordChunksBodyArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    chunks: fc.array(
      fc.record(
        {
          chunkNumber: fc.oneof(chunkNumberValue, fc.nat(3)),
          etag: fc.stringMatching(/^[0-9a-f]{32}$/).map((h) => `"${h}"`),
          checksumSha256: sha256Like,
        },
        { requiredKeys: ['chunkNumber', 'etag'] },
      ),
      { maxLength: 8 },
    ),
  }),
  fc.record({
    chunks: fc.array(fc.record({ chunkNumber: fc.nat(200), etag: fc.constant('"e"') }), {
      minLength: 95,
      maxLength: 130,
    }),
  }),
  fc.record({ chunks: wrongType }),
  recordBodyArb,
);

export const completeBodyArb: fc.Arbitrary<unknown> = fc.record(
  { fileSha256: fc.oneof(sha256Like, wrongType) },
  { requiredKeys: [] },
);

/** Text that is not JSON, or JSON that JSON.stringify could not have written. */
export const oddJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{',
    '{"fileName":',
    '}',
    '[',
    'nul',
    'undefined',
    "{'a':1}",
    '{"a":1,}',
    '\u0000',
    '\ufeff{}',
    '{"fileName":"a","fileSize":1e999}',
    '{"fileName":"a","fileSize":-1e999}',
    '{"fileName":"a","fileSize":123456789012345678901234567890}',
    '{"fileName":"a","fileSize":1E+2}',
    '{"fileName":"a","fileSize":-0}',
    '{"fileName":"a","fileSize":1,"fileSize":"dup"}',
    '{"chunks":[{"chunkNumber":1e0}]}',
    '{"chunks":[{"chunkNumber":-0}]}',
    '{"__proto__":{"fileName":"x"},"fileSize":1}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    `{"fileName":"${'a'.repeat(2 * MIB)}"}`,
    '"just a string"',
    '42',
    'null',
    'true',
    '[]',
    '  ',
  ),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

/** A request body: the route's own shape (right or wrong), any JSON value, or not JSON at all. */
export const bodyFor = (
  routeBody: fc.Arbitrary<unknown> | undefined,
): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { arbitrary: (routeBody ?? fc.constant(undefined)).map(stringify), weight: 6 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map(stringify), weight: 1 },
    { arbitrary: oddJsonText, weight: 2 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );

const stringify = (value: unknown): string | undefined =>
  value === undefined ? undefined : JSON.stringify(value);

/** Session ids as a client might send them, before percent-encoding. */
export const idArb = (known: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...known), weight: 4 },
    { arbitrary: fc.uuid(), weight: 1 },
    {
      arbitrary: fc.oneof(
        anyText(30),
        fc.string({ minLength: 60, maxLength: 5000 }),
        fc.constantFrom(
          '..',
          '.',
          '%',
          '%2F',
          '../uploads',
          'a/b',
          'a?b',
          'a#b',
          '-1',
          '1e9',
          '0.5',
        ),
        fc.constantFrom(...known).map((id) => `${id}/../${id}`),
        fc.constantFrom(...known).map((id) => id.toUpperCase()),
      ),
      weight: 3,
    },
  );

/** Chunk numbers as path text: in range, out of range, negative, floats, exponents, not numbers. */
export const chunkNumberText: fc.Arbitrary<string> = fc.oneof(
  fc.nat(3).map(String),
  fc.nat(20000).map(String),
  fc.integer({ min: -1e6, max: -1 }).map(String),
  fc.double().map(String),
  fc.bigInt({ min: 10n ** 15n, max: 10n ** 400n }).map(String),
  fc.constantFrom(
    '1e3',
    '1E2',
    '0x1',
    '+1',
    '01',
    '00000',
    '000000',
    '9999',
    '10000',
    '99999',
    'NaN',
    'Infinity',
    '-0',
    '\u0663',
    '\uff11',
    ' 1',
    '1 ',
    '1.0',
    '..',
  ),
  anyText(12),
);

/** Percent-encodes the way a careful client does; never produces invalid encoding. */
export const encodeSegment = (text: string): string =>
  encodeURIComponent(text.isWellFormed() ? text : text.toWellFormed());

export const idempotencyKeyArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ minLength: 250, maxLength: 300 }),
  // Header values can carry tab, space and latin-1 bytes, nothing else.
  fc.string({
    unit: fc
      .oneof(
        fc.integer({ min: 0x20, max: 0x7e }),
        fc.integer({ min: 0x80, max: 0xff }),
        fc.constant(9),
      )
      .map((c) => String.fromCharCode(c)),
    maxLength: 30,
  }),
  fc.constantFrom('', ' ', 'a b', '\t', '\u00e9t\u00e9'),
);

export const contentTypeHeaderArb: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16',
    '',
    ';;;',
  ),
);

/** Cursors that decode to something, just not to what the API wrote. */
const cursorGarbage: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 600 }),
  fc
    .oneof(
      fc.tuple(anyText(30), anyText(40)),
      fc.tuple(fc.constant('2026-01-01T00:00:00.000Z'), fc.constantFrom('', '#', 'x'.repeat(2000))),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map((value) => Buffer.from(JSON.stringify(value) ?? '').toString('base64url')),
);

/** The query string: status, limit and cursor garbage, repeated keys and unknown ones. */
export const queryArb = (validCursor: string): fc.Arbitrary<string> =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom('status', 'limit', 'cursor'),
          fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'),
          fc.string({ maxLength: 8 }),
        ),
        fc.oneof(
          fc.constantFrom('active', 'uploaded', 'all', 'ALL', 'failed', ''),
          fc.constantFrom('1', '20', '100', '101', '0', '-1', '1.5', '1e2', '999', '0100', '١'),
          fc.constant(validCursor),
          cursorGarbage,
          anyText(20),
        ),
      ),
      { maxLength: 4 },
    )
    .map((pairs) =>
      pairs.length === 0
        ? ''
        : `?${pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&')}`,
    );
