import * as z from 'zod';
import { MAX_CHUNKS } from '../domain/chunk-plan.ts';
import { ERROR_CODES } from '../domain/errors.ts';

/** A SHA-256 digest in base64, as S3 uses it in x-amz-checksum-sha256. */
const Sha256 = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a SHA-256 digest in base64 (44 characters)')
  .meta({
    description: 'SHA-256 digest, base64',
    example: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
  });

const CONTROL_CHARS = /\p{Cc}/u;

const FileName = z
  .string()
  .min(1)
  .max(255)
  .refine((name) => !CONTROL_CHARS.test(name), 'must not contain control characters')
  // A lone surrogate is no UTF-8: initiate could not store it and download could not encode it.
  .refine((name) => name.isWellFormed(), 'must be valid Unicode text')
  .refine((name) => name.trim().length > 0 && !/^\.+$/.test(name.trim()), 'must be a file name');

const ContentType = z
  .string()
  .max(255)
  .regex(
    /^[A-Za-z0-9][\w!#$&^.+-]*\/[\w!#$&^.+-]+(\s*;\s*[\w-]+=("[^"\\\r\n]*"|[\w.+-]+))*$/,
    'must be a MIME type',
  );

const Metadata = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'keys are 1-64 letters, digits, - or _')
      .refine((key) => key !== '__proto__', 'reserved key'),
    z
      .string()
      .max(1024)
      .regex(/^[\x20-\x7e]*$/, 'values are printable ASCII'),
  )
  .refine((m) => Object.keys(m).length <= 20, 'at most 20 entries')
  .refine(
    (m) => Object.entries(m).reduce((n, [k, v]) => n + k.length + v.length, 0) <= 2048,
    'at most 2 KB in total (the S3 user-metadata limit)',
  );

const ChunkNumber = z
  .number()
  .int()
  .min(0)
  .max(MAX_CHUNKS - 1);
const SafeInteger = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const InitiateRequest = z.object({
  fileName: FileName,
  fileSize: SafeInteger,
  contentType: ContentType.optional(),
  metadata: Metadata.optional(),
  chunkSize: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  fileSha256: Sha256.optional(),
  checksum: z.enum(['SHA256', 'NONE']).optional(),
});

export const ChunkUrlsRequest = z.object({
  chunks: z
    .array(z.object({ chunkNumber: ChunkNumber, checksumSha256: Sha256.optional() }))
    .min(1)
    .max(100),
});

export const RecordChunkRequest = z.object({
  etag: z.string().min(1).max(256),
  checksumSha256: Sha256.optional(),
});

export const CompleteRequest = z.object({ fileSha256: Sha256.optional() });

export const SessionParams = z.object({ id: z.string() });
export const ChunkParams = z.object({
  id: z.string(),
  chunkNumber: z
    .string()
    .regex(/^\d{1,5}$/, 'must be a chunk number')
    .transform(Number)
    .pipe(ChunkNumber),
});

export const ListQuery = z.object({
  status: z.enum(['active', 'uploaded', 'all']).default('all'),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .default(20),
  cursor: z.string().min(1).max(512).optional(),
});

export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 printable ASCII characters');

const Iso = z.string().meta({ format: 'date-time' });
const Status = z.enum([
  'initiated',
  'uploading',
  'completing',
  'uploaded',
  'cancelled',
  'expired',
  'failed',
]);

export const Session = z.object({
  id: z.string(),
  fileId: z.string(),
  fileName: z.string(),
  fileSize: z.number().int(),
  contentType: z.string(),
  chunkSize: z.number().int(),
  totalChunks: z.number().int(),
  status: Status,
  createdAt: Iso,
  expiresAt: Iso,
  key: z.string(),
  checksum: z.enum(['SHA256', 'NONE']),
  metadata: z.record(z.string(), z.string()),
  uploadedBytes: z.number().int(),
  chunksUploaded: z.number().int(),
  error: z.string().optional(),
});

export const ChunkUrls = z.object({
  chunks: z.array(
    z.object({
      chunkNumber: z.number().int(),
      url: z.string(),
      method: z.literal('PUT'),
      headers: z.record(z.string(), z.string()),
      size: z.number().int(),
      expiresAt: Iso,
    }),
  ),
});

export const RecordedChunk = z.object({
  chunkNumber: z.number().int(),
  size: z.number().int(),
  etag: z.string(),
  checksum: z.string().nullable(),
  storageKey: z.string(),
  uploadedAt: Iso,
  uploadedBytes: z.number().int(),
  chunksUploaded: z.number().int(),
  totalChunks: z.number().int(),
});

export const Progress = z.object({
  sessionId: z.string(),
  fileId: z.string(),
  fileName: z.string(),
  totalSize: z.number().int(),
  uploadedBytes: z.number().int(),
  percentComplete: z.number(),
  chunksUploaded: z.number().int(),
  totalChunks: z.number().int(),
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
  uploadedBytes: z.number().int(),
  nextChunkNumber: z.number().int().nullable(),
  missingChunks: z.array(z.number().int()),
  chunkSize: z.number().int(),
  totalChunks: z.number().int(),
  expiresAt: Iso,
});

export const FileRecord = z.object({
  id: z.string(),
  sessionId: z.string(),
  name: z.string(),
  size: z.number().int(),
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
export const SessionList = z.object({ items: z.array(Session), nextCursor: z.string().nullable() });

export const ErrorBody = z.object({
  success: z.literal(false),
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
