import { describe, expect, it } from 'vitest';
import type { ChunkEntry, StoredPart } from '../../../src/domain/ports.ts';
import { checkLedger, validChunks } from '../../../src/domain/reconcile.ts';
import { aSession } from '../../support/session-fixture.ts';

const MIB = 1024 * 1024;
const part = (partNumber: number, size: number): StoredPart => ({
  partNumber,
  size,
  etag: `"etag-${partNumber}"`,
  lastModified: new Date('2026-01-01T12:00:00.000Z'),
});

describe('validChunks', () => {
  // 16 MiB in 5 MiB chunks: chunks 0-2 are 5 MiB, chunk 3 is 1 MiB.
  const session = aSession({ fileSize: 16 * MIB, chunkSize: 5 * MIB, totalChunks: 4 });

  it('keys parts of the expected size by chunk number', () => {
    // Prepare
    const parts = [part(1, 5 * MIB), part(4, MIB)];

    // Act
    const chunks = validChunks(session, parts);

    // Assess
    expect([...chunks.keys()].sort()).toEqual([0, 3]);
    expect(chunks.get(0)).toBe(parts[0]);
    expect(chunks.get(3)).toBe(parts[1]);
  });

  it('drops parts of the wrong size', () => {
    // Prepare: a short middle chunk and a full-size last chunk.
    const parts = [part(2, 5 * MIB - 1), part(4, 5 * MIB), part(3, 5 * MIB)];

    // Act
    const chunks = validChunks(session, parts);

    // Assess
    expect([...chunks.keys()]).toEqual([2]);
  });

  it('drops parts outside the session range', () => {
    // Prepare
    const parts = [part(0, 5 * MIB), part(5, MIB), part(10_000, 5 * MIB)];

    // Act & Assess
    expect(validChunks(session, parts).size).toBe(0);
  });

  it('accepts the empty chunk of a zero-byte file', () => {
    // Prepare
    const empty = aSession({ fileSize: 0, totalChunks: 1 });

    // Act
    const chunks = validChunks(empty, [part(1, 0)]);

    // Assess
    expect([...chunks.keys()]).toEqual([0]);
  });
});

describe('checkLedger', () => {
  const session = aSession({ fileSize: 16 * MIB, chunkSize: 5 * MIB, totalChunks: 4 });
  const entry = (chunkNumber: number, etag: string, checksumSha256?: string): ChunkEntry => ({
    chunkNumber,
    size: chunkNumber === 3 ? MIB : 5 * MIB,
    etag,
    ...(checksumSha256 ? { checksumSha256 } : {}),
  });
  const recorded = (...entries: ChunkEntry[]) => new Map(entries.map((e) => [e.chunkNumber, e]));

  it('keeps a chunk whose part storage holds with the recorded ETag, quoted or not', () => {
    // Act
    const check = checkLedger(session, recorded(entry(0, 'etag-1')), [part(1, 5 * MIB)]);

    // Assess
    expect(check).toEqual({ intact: [entry(0, 'etag-1')], changed: [], unrecorded: [] });
  });

  it('finds a recorded chunk changed when its part has another ETag or checksum, or is gone', () => {
    // Prepare: chunk 0 overwritten, chunk 1 same ETag but another checksum, chunk 2 gone.
    const parts = [part(1, 5 * MIB), { ...part(2, 5 * MIB), checksumSha256: 'new=' }];
    const ledger = recorded(
      entry(0, '"etag-old"'),
      entry(1, '"etag-2"', 'old='),
      entry(2, '"etag-3"'),
    );

    // Act
    const check = checkLedger(session, ledger, parts);

    // Assess
    expect(check.intact).toEqual([]);
    expect(check.changed.map((c) => c.chunkNumber)).toEqual([0, 1, 2]);
  });

  it('lists parts of the right size the ledger never recorded, with the ETag storage reports', () => {
    // Prepare: part 4 (chunk 3) is unrecorded and valid; part 3 (chunk 2) is too short.
    const parts = [part(1, 5 * MIB), part(3, MIB), part(4, MIB)];

    // Act
    const check = checkLedger(session, recorded(entry(0, '"etag-1"')), parts);

    // Assess
    expect(check.unrecorded).toEqual([{ chunkNumber: 3, size: MIB, etag: '"etag-4"' }]);
  });
});
