import * as z from 'zod';
import {
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
  MAX_RECORD_BATCH,
  MIN_CHUNK_SIZE,
} from '../domain/chunk-plan.ts';
import { ERROR_CODES } from '../domain/errors.ts';

/*
 * Every rule JSON Schema can state lives here as a pattern, bound or `.meta()` keyword, so the
 * OpenAPI document generated from these schemas states it (the few refinements it cannot state,
 * such as the 2 KB metadata total, are in their descriptions and docs/api.md). Patterns are written for both readers of that document: JavaScript
 * (with the `u` flag) and Python's `re`, so they use `\uXXXX` escapes and explicit classes
 * only (no `\p{...}`, `\s` or `\u{...}`; an astral code point appears as itself).
 */

/** A SHA-256 digest in base64, as S3 uses it in x-amz-checksum-sha256. */
const Sha256 = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a SHA-256 digest in base64 (44 characters)')
  .meta({
    minLength: 44,
    maxLength: 44,
    description: 'SHA-256 digest, base64 (44 characters ending in `=`)',
    example: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
  });

/**
 * Code points no file name may hold: controls (Unicode Cc), format characters (Cf: bidi
 * overrides and isolates, zero-width characters, the BOM, tag characters), and line and paragraph
 * separators (Zl, Zp). Format characters spoof the name a download's Content-Disposition shows.
 * test/unit/http/file-name.test.ts checks this table against the runtime's Unicode data.
 */
export const FORBIDDEN_NAME_CODE_POINTS: readonly (readonly [number, number])[] = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x00ad, 0x00ad],
  [0x0600, 0x0605],
  [0x061c, 0x061c],
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x0890, 0x0891],
  [0x08e2, 0x08e2],
  [0x180e, 0x180e],
  [0x200b, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x2064],
  [0x2066, 0x206f],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffb],
  [0x110bd, 0x110bd],
  [0x110cd, 0x110cd],
  [0x13430, 0x1343f],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
];

const classChar = (cp: number) =>
  cp > 0xffff ? String.fromCodePoint(cp) : `\\u${cp.toString(16).padStart(4, '0')}`;
const FORBIDDEN_CLASS = FORBIDDEN_NAME_CODE_POINTS.map(([from, to]) =>
  from === to ? classChar(from) : `${classChar(from)}-${classChar(to)}`,
).join('');
/** Unicode space separators (Zs): what String.prototype.trim removes once the above are gone. */
const SPACES = '\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000';

export const MAX_FILE_NAME_LENGTH = 255;

/** Length counts code points (as JSON Schema's maxLength does), not UTF-16 units. */
const FileName = z
  .string()
  .regex(
    new RegExp(`^[^${FORBIDDEN_CLASS}]{1,${MAX_FILE_NAME_LENGTH}}$`, 'u'),
    `must be 1-${MAX_FILE_NAME_LENGTH} characters without control, format or separator characters`,
  )
  .regex(new RegExp(`^(?![${SPACES}]*\\.*[${SPACES}]*$)`, 'u'), 'must be a file name')
  // A lone surrogate is no UTF-8 (initiate could not store it nor download encode it), and no
  // JSON Schema string: JSON Schema cannot state this rule, nor needs to.
  .refine((name) => name.isWellFormed(), 'must be valid Unicode text')
  .meta({
    minLength: 1,
    maxLength: MAX_FILE_NAME_LENGTH,
    description:
      'File name: 1-255 Unicode code points; no control (Cc), format (Cf, e.g. U+202E, U+200B, ' +
      'U+FEFF, U+2066-U+2069), line or paragraph separator (Zl, Zp) characters and no lone ' +
      'surrogates; not only spaces and dots.',
    example: 'video.mp4',
  });

/** HTTP's optional whitespace is spaces and tabs: a line break in a header value is an injection. */
const ContentType = z
  .string()
  .max(255)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_!#$&^.+-]*\/[A-Za-z0-9_!#$&^.+-]+([ \t]*;[ \t]*[A-Za-z0-9_-]+=("[\t !#-[\]-~]*"|[A-Za-z0-9_.+-]+))*$/,
    'must be a MIME type',
  )
  .meta({ example: 'video/mp4' });

/**
 * `constructor` cannot be stored (the DynamoDB marshaller reads it as the object's class) and
 * `__proto__` is dropped by zod and by any copy into a plain object, so both are refused, with
 * `prototype` (no key that names an object's machinery is stored).
 */
export const RESERVED_METADATA_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
const MAX_METADATA_ENTRIES = 20;
const MAX_METADATA_CHARS = 2048;

const MetadataKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'keys are 1-64 letters, digits, - or _')
  .regex(new RegExp(`^(?!(?:${RESERVED_METADATA_KEYS.join('|')})$)`), 'reserved key');

const MetadataRecord = z
  .record(
    MetadataKey,
    z
      .string()
      .max(1024)
      .regex(/^[\x20-\x7e]*$/, 'values are printable ASCII'),
    { error: (issue) => (issue.code === 'invalid_key' ? invalidKeyMessage(issue) : undefined) },
  )
  .refine((m) => Object.keys(m).length <= MAX_METADATA_ENTRIES, 'at most 20 entries')
  .refine(
    (m) =>
      Object.entries(m).reduce((n, [k, v]) => n + k.length + v.length, 0) <= MAX_METADATA_CHARS,
    'at most 2 KB in total (the S3 user-metadata limit)',
  )
  .meta({
    maxProperties: MAX_METADATA_ENTRIES,
    description:
      'Up to 20 entries; keys 1-64 letters, digits, `-` or `_`; values printable ASCII, up to ' +
      '1024 characters; keys and values together at most 2048 characters (the S3 user-metadata ' +
      `limit). The keys ${RESERVED_METADATA_KEYS.join(', ')} are reserved (400).`,
    example: { project: 'apollo' },
  });

function invalidKeyMessage(issue: { issues?: readonly { message: string }[] }): string {
  return issue.issues?.[0]?.message ?? 'invalid key';
}

/** zod never shows a `__proto__` key to a record's key schema, so it is caught on the raw input. */
const Metadata = z.preprocess((value, ctx) => {
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__'))
    ctx.addIssue({ code: 'custom', message: 'reserved key', path: ['__proto__'], input: value });
  return value;
}, MetadataRecord);

const ChunkNumber = z
  .number()
  .int()
  .min(0)
  .max(MAX_CHUNKS - 1);
const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const InitiateRequest = z.object({
  fileName: FileName,
  fileSize: Count.meta({ description: 'Bytes; above the configured maximum: 413' }),
  contentType: ContentType.optional(),
  metadata: Metadata.optional(),
  chunkSize: z
    .number()
    .int()
    .min(1)
    .max(MAX_CHUNK_SIZE)
    .optional()
    .meta({
      description:
        `Bytes, default 5 MiB; raised so that totalChunks <= ${MAX_CHUNKS}. Below ` +
        `${MIN_CHUNK_SIZE} (5 MiB) only when the file fits in one chunk, else 400.`,
    }),
  fileSha256: Sha256.optional(),
  checksum: z.enum(['SHA256', 'NONE']).optional().meta({ description: 'Default SHA256' }),
});

export const ChunkUrlsRequest = z.object({
  chunks: z
    .array(z.object({ chunkNumber: ChunkNumber, checksumSha256: Sha256.optional() }))
    .min(1)
    .max(100),
});

export const RecordChunkRequest = z.object({
  etag: z.string().min(1).max(256).meta({ description: 'The ETag S3 returned; quotes allowed' }),
  checksumSha256: Sha256.optional(),
});

export const RecordChunksRequest = z.object({
  chunks: z
    .array(
      z.object({
        chunkNumber: ChunkNumber,
        etag: RecordChunkRequest.shape.etag,
        checksumSha256: Sha256.optional(),
      }),
    )
    .min(1)
    .max(MAX_RECORD_BATCH)
    .superRefine((chunks, ctx) => {
      const seen = new Set<number>();
      chunks.forEach(({ chunkNumber }, i) => {
        if (seen.has(chunkNumber))
          ctx.addIssue({
            code: 'custom',
            message: 'chunk numbers must be distinct',
            path: [i, 'chunkNumber'],
          });
        seen.add(chunkNumber);
      });
    })
    .meta({
      description: `1 to ${MAX_RECORD_BATCH} entries with distinct chunk numbers (else 400)`,
    }),
});

export const CompleteRequest = z.object({ fileSha256: Sha256.optional() });

/** Ids this API issues; any other id is answered 404 SESSION_NOT_FOUND, like an unknown one. */
export const SessionId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);
export const ChunkNumberParam = ChunkNumber;

export const SessionParams = z.object({ id: SessionId });
export const ChunkParams = z.object({
  id: SessionId,
  chunkNumber: z
    .string()
    .regex(/^\d{1,5}$/, 'must be a chunk number')
    .transform(Number)
    .pipe(ChunkNumber),
});

export const ListStatus = z.enum(['active', 'uploaded', 'all']);
export const ListLimit = z.number().int().min(1).max(100);
export const Cursor = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,512}$/, 'must be a cursor this API returned')
  .meta({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' });

export const ListQuery = z.object({
  status: ListStatus.default('all'),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
    .transform(Number)
    .pipe(ListLimit)
    .default(20),
  cursor: Cursor.optional(),
});

export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 printable ASCII characters')
  .meta({ minLength: 1, maxLength: 255 });

const Iso = z.string().meta({ format: 'date-time' });
const Size = z.number().int().min(0);
const Status = z.enum([
  'initiated',
  'uploading',
  'completing',
  'uploaded',
  'cancelled',
  'expired',
  'failed',
  'deleted',
]);

export const Session = z.object({
  id: z.string(),
  fileId: z.string(),
  fileName: z.string(),
  fileSize: Size,
  contentType: z.string(),
  chunkSize: Size,
  totalChunks: Size,
  status: Status,
  createdAt: Iso,
  expiresAt: Iso,
  key: z.string(),
  checksum: z.enum(['SHA256', 'NONE']),
  metadata: z.record(z.string(), z.string()),
  uploadedBytes: Size,
  chunksUploaded: Size,
  error: z.string().optional(),
});

export const ChunkUrls = z.object({
  chunks: z.array(
    z.object({
      chunkNumber: Size,
      url: z.string(),
      method: z.literal('PUT'),
      headers: z.record(z.string(), z.string()),
      size: Size,
      expiresAt: Iso,
    }),
  ),
});

export const RecordedChunk = z.object({
  chunkNumber: Size,
  size: Size,
  etag: z.string(),
  checksum: z.string().nullable(),
  storageKey: z.string(),
  uploadedAt: Iso,
  uploadedBytes: Size,
  chunksUploaded: Size,
  totalChunks: Size,
});

export const RecordedChunks = z.object({
  recorded: z.array(
    z.object({
      chunkNumber: Size,
      size: Size,
      etag: z.string(),
      checksum: z.string().nullable(),
      uploadedAt: Iso,
    }),
  ),
  rejected: z.array(
    z.object({
      chunkNumber: Size,
      code: z.enum(['CHUNK_NOT_UPLOADED', 'CHUNK_SIZE_MISMATCH', 'ETAG_MISMATCH']),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  uploadedBytes: Size,
  chunksUploaded: Size,
  totalChunks: Size,
});

export const Progress = z.object({
  sessionId: z.string(),
  fileId: z.string(),
  fileName: z.string(),
  totalSize: Size,
  uploadedBytes: Size,
  percentComplete: z.number().min(0).max(100),
  chunksUploaded: Size,
  totalChunks: Size,
  status: Status,
  estimatedTimeRemaining: z
    .string()
    .nullable()
    .meta({ description: 'HH:MM:SS, null until a rate is known' }),
  expiresAt: Iso,
});

export const ResumeState = z.object({
  id: z.string(),
  status: Status,
  uploadedBytes: Size,
  nextChunkNumber: Size.nullable(),
  missingChunks: z.array(Size),
  chunkSize: Size,
  totalChunks: Size,
  expiresAt: Iso,
});

export const FileRecord = z.object({
  id: z.string(),
  sessionId: z.string(),
  name: z.string(),
  size: Size,
  contentType: z.string(),
  status: z.literal('uploaded'),
  uploadedAt: Iso,
  checksum: z.string().nullable(),
  etag: z.string(),
  key: z.string(),
  metadata: z.record(z.string(), z.string()),
  fileSha256: z.string().optional(),
});

export const DownloadUrl = z.object({ url: z.string(), expiresAt: Iso });
export const DeletedFile = z.object({ id: z.string(), status: z.literal('deleted') });
export const SessionList = z.object({ items: z.array(Session), nextCursor: z.string().nullable() });

export const ErrorBody = z.object({
  success: z.literal(false),
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
