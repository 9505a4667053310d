/**
 * What one write of a ledger item costs in write units, by DynamoDB's sizing rules
 * (bench/dynamodb-units.ts): the table's write by the larger of the item's sizes before and after,
 * and the user index's when the write changed a projected attribute or an index key. Shared by
 * `npm run bench:ledger` and the cost model of `npm run bench`.
 */
import { USER_INDEX_ATTRIBUTES } from '../../src/adapters/session-item.ts';
import { indexWriteUnits, itemSize, writeUnits } from '../dynamodb-units.ts';

/** The table's keys and the user index's (src/adapters/session-item.ts, local/bootstrap.ts). */
export const INDEX_KEYS: readonly string[] = ['PK', 'SK', 'GSI1PK', 'GSI1SK'];

export interface WriteCharge {
  readonly table: number;
  readonly index: number;
}

export function ledgerWriteCharge(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
  transactional: boolean,
): WriteCharge {
  return {
    table: writeUnits(itemSize(before), itemSize(after), transactional),
    index: indexWriteUnits(before, after, INDEX_KEYS, USER_INDEX_ATTRIBUTES),
  };
}
