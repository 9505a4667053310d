import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  type Part,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { MAX_CHUNKS } from '../domain/chunk-plan.ts';
import { PartsChangedError, UploadGoneError } from '../domain/errors.ts';
import type {
  AssembledObject,
  AssemblyPart,
  PresignedRequest,
  StoredPart,
  UploadStorage,
} from '../domain/ports.ts';
import { translateS3Error } from './sdk-errors.ts';

const CHECKSUM_HEADER = 'x-amz-checksum-sha256';
const MAX_PARTS_PER_PAGE = 1000;

export class S3UploadStorage implements UploadStorage {
  /** `assembly` sends CompleteMultipartUpload, which may take long (defaults to `s3`). */
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly assembly: S3Client = s3,
  ) {}

  async createMultipartUpload(input: Parameters<UploadStorage['createMultipartUpload']>[0]) {
    const out = await this.call((s3) =>
      s3.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: input.key,
          ContentType: input.contentType,
          Metadata: input.metadata,
          ...(input.checksumMode === 'SHA256' ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
        }),
      ),
    );
    if (!out.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    return { uploadId: out.UploadId };
  }

  /**
   * The URL signs content-length and the checksum as headers: S3 then refuses a body of any
   * other size or content. The checksum must stay a header; in the query string S3 ignores it.
   */
  async presignPartUpload(
    input: Parameters<UploadStorage['presignPartUpload']>[0],
  ): Promise<PresignedRequest> {
    const command = new UploadPartCommand({
      Bucket: this.bucket,
      Key: input.key,
      UploadId: input.uploadId,
      PartNumber: input.partNumber,
      ContentLength: input.size,
      ...(input.checksumSha256 ? { ChecksumSHA256: input.checksumSha256 } : {}),
    });
    const url = await getSignedUrl(this.s3, command, {
      expiresIn: input.expiresInSeconds,
      signableHeaders: new Set([
        'content-length',
        ...(input.checksumSha256 ? [CHECKSUM_HEADER] : []),
      ]),
      unhoistableHeaders: new Set([CHECKSUM_HEADER]),
    });
    return {
      url,
      headers: input.checksumSha256 ? { [CHECKSUM_HEADER]: input.checksumSha256 } : {},
    };
  }

  /**
   * The ListParts pages from just below the lowest part asked for to the highest: for up to 1,000
   * parts apart, one page. When a part asked for is not there, the listing is read again from the
   * first part, because some emulators page by position, not by part number.
   */
  async findParts(
    key: string,
    uploadId: string,
    partNumbers: readonly number[],
  ): Promise<Map<number, StoredPart>> {
    const wanted = [...new Set(partNumbers)];
    if (wanted.length === 0) return new Map();
    const highest = Math.max(...wanted);
    let found = await this.listRange(key, uploadId, Math.min(...wanted) - 1, highest);
    if (!wanted.every((n) => found.has(n))) found = await this.listRange(key, uploadId, 0, highest);
    return new Map(wanted.flatMap((n) => (found.has(n) ? [[n, found.get(n) as StoredPart]] : [])));
  }

  /** Parts numbered above `after` up to `through`. */
  private async listRange(
    key: string,
    uploadId: string,
    after: number,
    through: number,
  ): Promise<Map<number, StoredPart>> {
    const parts = new Map<number, StoredPart>();
    let marker = after > 0 ? String(after) : undefined;
    for (;;) {
      const page = await this.call((s3) =>
        s3.send(
          new ListPartsCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            PartNumberMarker: marker,
            MaxParts: Math.min(MAX_PARTS_PER_PAGE, through - after),
          }),
        ),
      );
      for (const part of page.Parts ?? []) {
        if ((part.PartNumber ?? 0) <= through) parts.set(part.PartNumber ?? 0, toStoredPart(part));
      }
      const last = page.Parts?.at(-1)?.PartNumber ?? through;
      if (!page.IsTruncated || !page.NextPartNumberMarker || last >= through) return parts;
      marker = page.NextPartNumberMarker;
    }
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    return [...(await this.listRange(key, uploadId, 0, MAX_CHUNKS)).values()];
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly AssemblyPart[],
  ): Promise<void> {
    try {
      await this.assembly.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: parts.map((p) => ({
              PartNumber: p.partNumber,
              ETag: p.etag,
              ...(p.checksumSha256 ? { ChecksumSHA256: p.checksumSha256 } : {}),
            })),
          },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'InvalidPart') {
        throw new PartsChangedError('A part no longer has the recorded ETag', { cause: error });
      }
      translateS3Error(error);
    }
  }

  async describeObject(key: string): Promise<AssembledObject | undefined> {
    try {
      const head = await this.s3.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }),
      );
      return {
        size: head.ContentLength ?? 0,
        etag: head.ETag ?? '',
        checksum: head.ChecksumSHA256 ?? null,
      };
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return undefined;
      return translateS3Error(error);
    }
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.call((s3) =>
        s3.send(
          new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
        ),
      );
    } catch (error) {
      if (!(error instanceof UploadGoneError)) throw error;
    }
  }

  async deleteObject(key: string): Promise<void> {
    await this.call((s3) => s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  presignDownload(input: {
    key: string;
    fileName: string;
    expiresInSeconds: number;
  }): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: input.key,
      ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(input.fileName)}`,
    });
    return getSignedUrl(this.s3, command, { expiresIn: input.expiresInSeconds });
  }

  private async call<T>(send: (s3: S3Client) => Promise<T>): Promise<T> {
    try {
      return await send(this.s3);
    } catch (error) {
      return translateS3Error(error);
    }
  }
}

function toStoredPart(part: Part): StoredPart {
  return {
    partNumber: part.PartNumber ?? 0,
    size: part.Size ?? 0,
    etag: part.ETag ?? '',
    ...(part.ChecksumSHA256 ? { checksumSha256: part.ChecksumSHA256 } : {}),
    lastModified: part.LastModified ?? new Date(0),
  };
}
