import { describe, expect, it } from 'vitest';
import {
  type ChunkPlanRequest,
  chunkNumberOf,
  expectedChunkSize,
  GIB,
  MIB,
  missingChunks,
  partNumberOf,
  planChunks,
} from '../../../src/domain/chunk-plan.ts';
import { UploadError } from '../../../src/domain/errors.ts';
import { thrown } from '../../support/thrown.ts';

const TIB = 1024 * GIB;

const request = (overrides: Partial<ChunkPlanRequest>): ChunkPlanRequest => ({
  fileSize: 0,
  requestedChunkSize: undefined,
  defaultChunkSize: 5 * MIB,
  maxFileSize: 100 * TIB,
  ...overrides,
});

describe('planChunks', () => {
  it('uses the 5 MiB default and rounds the chunk count up', () => {
    // Act
    const plan = planChunks(request({ fileSize: 12 * MIB }));

    // Assess
    expect(plan).toEqual({ chunkSize: 5 * MIB, totalChunks: 3 });
  });

  it('gives an exact multiple of the chunk size no partial chunk', () => {
    // Act
    const plan = planChunks(request({ fileSize: 15 * MIB }));

    // Assess
    expect(plan).toEqual({ chunkSize: 5 * MIB, totalChunks: 3 });
  });

  it('plans a zero-byte file as one empty chunk', () => {
    // Act
    const plan = planChunks(request({ fileSize: 0 }));

    // Assess
    expect(plan).toEqual({ chunkSize: 5 * MIB, totalChunks: 1 });
  });

  it('keeps a requested chunk size between 5 MiB and 5 GiB', () => {
    // Act
    const plan = planChunks(request({ fileSize: 100 * MIB, requestedChunkSize: 8 * MIB }));

    // Assess
    expect(plan).toEqual({ chunkSize: 8 * MIB, totalChunks: 13 });
  });

  it('keeps 5 MiB while the file needs exactly 10,000 chunks', () => {
    // Act
    const plan = planChunks(request({ fileSize: 10_000 * 5 * MIB }));

    // Assess
    expect(plan).toEqual({ chunkSize: 5 * MIB, totalChunks: 10_000 });
  });

  it('raises the chunk size to the next whole MiB once 10,000 chunks would not do', () => {
    // Act
    const plan = planChunks(request({ fileSize: 10_000 * 5 * MIB + 1 }));

    // Assess
    expect(plan.chunkSize).toBe(6 * MIB);
    expect(plan.totalChunks).toBe(Math.ceil((10_000 * 5 * MIB + 1) / (6 * MIB)));
    expect(plan.totalChunks).toBeLessThanOrEqual(10_000);
  });

  it('raises the chunk size for a 1 TiB file so it fits in 10,000 chunks', () => {
    // Act
    const plan = planChunks(request({ fileSize: TIB }));

    // Assess
    expect(plan.chunkSize % MIB).toBe(0);
    expect(plan.chunkSize).toBe(105 * MIB);
    expect(plan.totalChunks).toBeLessThanOrEqual(10_000);
    expect((plan.totalChunks - 1) * plan.chunkSize).toBeLessThan(TIB);
  });

  it('allows a chunk below 5 MiB when the whole file fits in it', () => {
    // Act
    const plan = planChunks(request({ fileSize: 3 * MIB, requestedChunkSize: 4 * MIB }));

    // Assess
    expect(plan).toEqual({ chunkSize: 4 * MIB, totalChunks: 1 });
  });

  it('keeps a small requested chunk size exactly when the file fits in it', () => {
    const plan = planChunks(request({ fileSize: 1000, requestedChunkSize: 1024 }));

    expect(plan).toEqual({ chunkSize: 1024, totalChunks: 1 });
  });

  it('rejects a sub-MiB chunk size that would need two chunks', () => {
    const error = thrown(UploadError, () =>
      planChunks(request({ fileSize: 800 * 1024, requestedChunkSize: 500 * 1024 })),
    );

    expect(error.code).toBe('VALIDATION_ERROR');
  });

  it('rejects a chunk below 5 MiB for a file of several chunks', () => {
    // Act
    const error = thrown(UploadError, () =>
      planChunks(request({ fileSize: 20 * MIB, requestedChunkSize: MIB })),
    );

    // Assess
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details).toEqual({
      fields: [{ field: 'chunkSize', message: expect.stringContaining(String(5 * MIB)) }],
    });
  });

  it('rejects a requested chunk size above 5 GiB', () => {
    // Act
    const error = thrown(UploadError, () =>
      planChunks(request({ fileSize: 10 * GIB, requestedChunkSize: 5 * GIB + 1 })),
    );

    // Assess
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details).toEqual({
      fields: [{ field: 'chunkSize', message: expect.any(String) }],
    });
  });

  it('accepts a requested chunk size of exactly 5 GiB', () => {
    // Act
    const plan = planChunks(request({ fileSize: 12 * GIB, requestedChunkSize: 5 * GIB }));

    // Assess
    expect(plan).toEqual({ chunkSize: 5 * GIB, totalChunks: 3 });
  });

  it('rejects a file above the configured maximum with FILE_TOO_LARGE', () => {
    // Act
    const error = thrown(UploadError, () =>
      planChunks(request({ fileSize: 101, maxFileSize: 100 })),
    );

    // Assess
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.details).toEqual({ maxFileSize: 100 });
  });

  it('accepts a file of exactly the configured maximum', () => {
    // Act
    const plan = planChunks(request({ fileSize: 100, maxFileSize: 100 }));

    // Assess
    expect(plan.totalChunks).toBe(1);
  });

  it('rejects a file that needs more than 10,000 parts of 5 GiB', () => {
    // Prepare
    const limit = 10_000 * 5 * GIB;

    // Act
    const atLimit = planChunks(request({ fileSize: limit, maxFileSize: 2 * limit }));
    const error = thrown(UploadError, () =>
      planChunks(request({ fileSize: limit + 1, maxFileSize: 2 * limit })),
    );

    // Assess
    expect(atLimit).toEqual({ chunkSize: 5 * GIB, totalChunks: 10_000 });
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.details).toEqual({ maxFileSize: 2 * limit });
  });
});

describe('expectedChunkSize', () => {
  const plan = { fileSize: 12 * MIB + 7, chunkSize: 5 * MIB, totalChunks: 3 };

  it('is the chunk size for every chunk but the last', () => {
    // Act & Assess
    expect(expectedChunkSize(plan, 0)).toBe(5 * MIB);
    expect(expectedChunkSize(plan, 1)).toBe(5 * MIB);
  });

  it('is the remainder for the last chunk', () => {
    // Act & Assess
    expect(expectedChunkSize(plan, 2)).toBe(2 * MIB + 7);
  });

  it('is a full chunk for the last chunk of an exact multiple', () => {
    // Act & Assess
    expect(expectedChunkSize({ fileSize: 10 * MIB, chunkSize: 5 * MIB, totalChunks: 2 }, 1)).toBe(
      5 * MIB,
    );
  });

  it('is 0 for the single chunk of a zero-byte file', () => {
    // Act & Assess
    expect(expectedChunkSize({ fileSize: 0, chunkSize: 5 * MIB, totalChunks: 1 }, 0)).toBe(0);
  });

  it('is the whole file for a single chunk larger than the file', () => {
    // Act & Assess
    expect(expectedChunkSize({ fileSize: 1000, chunkSize: 5 * MIB, totalChunks: 1 }, 0)).toBe(1000);
  });
});

describe('missingChunks', () => {
  it('lists the chunk numbers not present, in order', () => {
    // Act & Assess
    expect(missingChunks(5, new Set([0, 3]))).toEqual([1, 2, 4]);
  });

  it('is empty when every chunk is present and ignores numbers out of range', () => {
    // Act & Assess
    expect(missingChunks(3, new Set([0, 1, 2, 7]))).toEqual([]);
  });

  it('lists every chunk when none is present', () => {
    // Act & Assess
    expect(missingChunks(3, new Set())).toEqual([0, 1, 2]);
  });
});

describe('part and chunk numbers', () => {
  it('maps chunk n to part n + 1 and back', () => {
    // Act & Assess
    expect(partNumberOf(0)).toBe(1);
    expect(partNumberOf(9_999)).toBe(10_000);
    expect(chunkNumberOf(1)).toBe(0);
    expect(chunkNumberOf(partNumberOf(42))).toBe(42);
  });
});
