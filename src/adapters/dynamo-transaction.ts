import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { isTransient } from './sdk-errors.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB takes at most 100 items in one TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;

/**
 * The cancellation codes of a transaction that lost to another write (a condition failed or a
 * concurrent transaction held an item), one per item in order; undefined for any other failure.
 */
export function lostTransaction(error: unknown): (string | undefined)[] | undefined {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e.name !== 'TransactionCanceledException' || isTransient(error)) return undefined;
  const codes = (e.CancellationReasons ?? []).map((reason) => reason.Code);
  const lost = codes.some(
    (code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict',
  );
  return lost ? codes : undefined;
}
