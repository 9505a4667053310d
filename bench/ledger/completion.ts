import { randomUUID } from 'node:crypto';
import { type S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import type { S3UploadStorage } from '../../src/adapters/s3-upload-storage.ts';
import { assemblyOf } from '../../src/domain/completion-parts.ts';
import type { ChunkEntry } from '../../src/domain/ports.ts';
import { CHUNK_SIZE, note, timed } from './support.ts';

/** Uploads `count` parts of `size` bytes to a new multipart upload, 16 at a time. */
async function uploadParts(
  storage: S3UploadStorage,
  s3: S3Client,
  bucket: string,
  count: number,
  size: number,
) {
  const key = `uploads/bench/${randomUUID()}/parts.bin`;
  const { uploadId } = await storage.createMultipartUpload({
    key,
    contentType: 'application/octet-stream',
    checksumMode: 'NONE',
    metadata: {},
  });
  const body = new Uint8Array(size).fill(7);
  const entries: ChunkEntry[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let n = next++; n < count; n = next++) {
        const out = await s3.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: n + 1,
            Body: body,
          }),
        );
        entries.push({ chunkNumber: n, size, etag: out.ETag as string });
      }
    }),
  );
  return { key, uploadId, entries };
}

/** Completion on LocalStack: ListParts of 10,000 parts, and the assembly of parts of 5 MiB. */
export async function measureCompletion(
  counts: { listParts: number; completeParts: number },
  storage: S3UploadStorage,
  s3: S3Client,
  bucket: string,
) {
  const listCount = counts.listParts;
  const partCount = counts.completeParts;
  note(`uploading ${listCount} one-byte parts for the ListParts timing`);
  const many = await uploadParts(storage, s3, bucket, listCount, 1);
  const [listed, listSeconds] = await timed(() => storage.listParts(many.key, many.uploadId));
  let tinyAssembly: string;
  try {
    await storage.completeMultipartUpload(many.key, many.uploadId, partsOf(many.entries));
    tinyAssembly = 'accepted';
  } catch (error) {
    tinyAssembly = `refused: ${(error as { cause?: { name?: string }; name?: string }).cause?.name ?? (error as Error).name}`;
    await storage.abortMultipartUpload(many.key, many.uploadId);
  }
  note(`uploading ${partCount} parts of 5 MiB for the CompleteMultipartUpload timing`);
  const real = await uploadParts(storage, s3, bucket, partCount, CHUNK_SIZE);
  const [, realListSeconds] = await timed(() => storage.listParts(real.key, real.uploadId));
  const [, assembleSeconds] = await timed(() =>
    storage.completeMultipartUpload(real.key, real.uploadId, partsOf(real.entries)),
  );
  const object = await storage.describeObject(real.key);
  await storage.deleteObject(real.key);
  return {
    listParts: {
      parts: listed.length,
      pages: Math.ceil(listed.length / 1000),
      seconds: listSeconds,
    },
    assemblyOfOneByteParts: tinyAssembly,
    assembly: {
      parts: partCount,
      partBytes: CHUNK_SIZE,
      objectBytes: object?.size,
      listSeconds: realListSeconds,
      completeMultipartUploadSeconds: assembleSeconds,
    },
  };
}

const partsOf = (entries: ChunkEntry[]) => {
  const assembly = assemblyOf(entries);
  return assembly.kind === 'parts' ? assembly.parts : [];
};
