import { describe, expect, it } from 'vitest';
import {
  INDEX_ENTRY_OVERHEAD,
  indexWriteUnits,
  itemSize,
  readUnits,
  valueSize,
  writeUnits,
} from '../../../bench/dynamodb-units.ts';

describe('DynamoDB item sizes', () => {
  it('counts strings in UTF-8 bytes, numbers by significant digits, maps and lists with overhead', () => {
    // Act & Assess
    expect(valueSize('abc')).toBe(3);
    expect(valueSize('é')).toBe(2);
    expect(valueSize(5_242_881)).toBe(5); // 7 significant digits: 4 bytes + 1
    expect(valueSize(5_242_880)).toBe(4); // the trailing zero is trimmed
    expect(valueSize(100)).toBe(2); // trailing zeros trimmed: 1 digit
    expect(valueSize(true)).toBe(1);
    expect(valueSize(['a', 'bc'])).toBe(3 + (1 + 1) + (1 + 2));
    expect(valueSize({ ab: 'c' })).toBe(3 + 1 + 2 + 1);
    expect(valueSize(new Set(['ab', 'c']))).toBe(3);
  });

  it('adds every attribute name to its value', () => {
    // Act & Assess
    expect(itemSize({ PK: 'SESSION#1', n: 12 })).toBe(2 + 9 + 1 + 2);
    expect(itemSize(undefined)).toBe(0);
  });
});

describe('write units', () => {
  it('charge the larger of the old and new size per started KB, twice in a transaction', () => {
    // Act & Assess
    expect(writeUnits(0, 100, false)).toBe(1);
    expect(writeUnits(3000, 1000, false)).toBe(3);
    expect(writeUnits(1024, 1025, true)).toBe(4);
  });

  it('charge the index only when a projected attribute or an index key changes', () => {
    // Prepare
    const keys = ['PK', 'SK', 'GSI1PK', 'GSI1SK'];
    const before = { PK: 'S#1', SK: 'S', GSI1PK: 'U#1', GSI1SK: 'x', total: 1, noise: 'a' };

    // Act & Assess
    expect(indexWriteUnits(before, { ...before, noise: 'b' }, keys, ['total'])).toBe(0);
    expect(indexWriteUnits(before, { ...before, total: 2 }, keys, ['total'])).toBe(1);
    expect(indexWriteUnits(before, { ...before, GSI1SK: 'y' }, keys, ['total'])).toBe(2);
    expect(indexWriteUnits(undefined, { PK: 'P', SK: 'C#1' }, keys, ['total'])).toBe(0);
    const big = { ...before, total: 'x'.repeat(1024 - INDEX_ENTRY_OVERHEAD) };
    expect(indexWriteUnits(before, big, keys, ['total'])).toBe(2);
  });
});

describe('read units', () => {
  it('charge per started 4 KB, at least one; half when eventually consistent, twice in a transaction', () => {
    // Act & Assess
    expect(readUnits(0, { consistent: true })).toBe(1);
    expect(readUnits(4096, { consistent: true })).toBe(1);
    expect(readUnits(4097, { consistent: true })).toBe(2);
    expect(readUnits(4097, { consistent: false })).toBe(1);
    expect(readUnits(100, { consistent: false })).toBe(0.5);
    expect(readUnits(9000, { consistent: true, transactional: true })).toBe(6);
  });
});
