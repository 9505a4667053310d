/**
 * DynamoDB's published sizing rules, for estimating write units where the emulator reports none
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * an item's size is the sum of its attribute names and values (UTF-8 bytes for strings, about one
 * byte per two significant digits plus one for numbers, 1 for booleans and null, 3 bytes plus one
 * per element for lists and maps, whose keys count like names); a write costs one unit per KB of
 * the larger of the item's old and new size, two in a transaction; a global secondary index costs
 * its own write, by the size of the index entry, when the write changes a projected attribute. A
 * read costs one unit per 4 KB read (a Query: of all the items it read, together), half for an
 * eventually consistent read, two in a transaction.
 */
const KB = 1024;
const READ_UNIT_BYTES = 4 * KB;
/** What DynamoDB adds to every index entry (documented for index storage; counted here too). */
export const INDEX_ENTRY_OVERHEAD = 100;

export function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(String(value));
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum, v) => sum + 1 + valueSize(v), 0);
  const entries = Object.entries(value as Record<string, unknown>);
  return 3 + entries.reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueSize(v), 0);
}

function numberSize(text: string): number {
  const digits = text
    .replace(/^-/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** An item's size: every attribute's name and value. */
export function itemSize(item: Record<string, unknown> | undefined): number {
  if (!item) return 0;
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value),
    0,
  );
}

/** Units of one item write: by the larger of its sizes before and after, doubled in a transaction. */
export function writeUnits(oldSize: number, newSize: number, transactional: boolean): number {
  const units = Math.max(1, Math.ceil(Math.max(oldSize, newSize) / KB));
  return transactional ? 2 * units : units;
}

/**
 * Units of one read of `bytes` (an item, or everything a Query read): at least one unit, per
 * started 4 KB; half for an eventually consistent read, double in a transaction.
 */
export function readUnits(
  bytes: number,
  options: { readonly consistent: boolean; readonly transactional?: boolean },
): number {
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  if (options.transactional) return 2 * units;
  return options.consistent ? units : units / 2;
}

/** The index entry of an item: the table's and the index's keys and the projected attributes. */
export function indexEntry(
  item: Record<string, unknown> | undefined,
  keys: readonly string[],
  projected: readonly string[],
): Record<string, unknown> | undefined {
  if (!item || keys.some((k) => item[k] === undefined)) return undefined;
  return Object.fromEntries(
    [...keys, ...projected].filter((k) => k in item).map((k) => [k, item[k]]),
  );
}

/**
 * Units the index consumes for one write of a base item: none when no projected attribute (and
 * no index key) changed, one put or delete otherwise, by the entry's size (plus overhead); a
 * changed index key is a delete and a put.
 */
export function indexWriteUnits(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
  indexKeys: readonly string[],
  projected: readonly string[],
): number {
  const old = indexEntry(before, indexKeys, projected);
  const now = indexEntry(after, indexKeys, projected);
  if (JSON.stringify(old) === JSON.stringify(now)) return 0;
  const units = (entry: Record<string, unknown> | undefined) =>
    entry ? Math.max(1, Math.ceil((itemSize(entry) + INDEX_ENTRY_OVERHEAD) / KB)) : 0;
  const keyChanged = indexKeys.some((k) => old?.[k] !== now?.[k]);
  if (old && now && !keyChanged) return Math.max(units(old), units(now));
  return units(old) + units(now);
}
