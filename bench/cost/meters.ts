/**
 * Meters on the AWS SDK clients of the handlers running in this process (and on any other S3
 * client), attributing each call to the route whose invocation made it (local/handler-output.ts).
 *
 * S3: every request sent, counted at the `deserialize` step, which each attempt (retries too)
 * passes and presigning (which sends nothing: it stops before signing) never reaches.
 *
 * DynamoDB: read and write units by DynamoDB's sizing rules (bench/dynamodb-units.ts, as
 * `npm run bench:ledger` charges them; moto reports no capacity for transactions). Reads are
 * charged by what they returned. A write is charged by the item's size before and after it, both
 * read with a separate, unmetered client around the write: those reads slow every write down, so
 * the ledger meter is switched on only for runs that are not timed.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { currentInvocation } from '../../local/handler-output.ts';
import { itemSize, readUnits } from '../dynamodb-units.ts';
import { ledgerWriteCharge } from '../ledger/write-charge.ts';

/** Where a call made outside any handler invocation is counted. */
export const OUTSIDE = 'outside a handler';

interface StackClient {
  readonly middlewareStack: object;
}

type Middleware = (
  next: (args: { input?: unknown }) => Promise<{ output?: unknown }>,
  context: { commandName?: string },
) => (args: { input?: unknown }) => Promise<{ output?: unknown }>;

type AddMiddleware = (
  middleware: Middleware,
  options: { step: 'initialize' | 'deserialize'; name: string; priority?: 'high' | 'low' },
) => void;

const addMiddleware = (
  client: StackClient,
  middleware: Middleware,
  step: 'initialize' | 'deserialize',
  name: string,
) =>
  (client.middlewareStack as { add: AddMiddleware }).add(middleware, {
    step,
    name,
    priority: 'low',
  });

const routeNow = () => currentInvocation()?.route ?? OUTSIDE;
const operationOf = (commandName: string | undefined) =>
  (commandName ?? 'Unknown').replace(/Command$/, '');

/** Counts by route, then by key. */
export class Tally {
  private readonly counts = new Map<string, Map<string, number>>();

  add(route: string, key: string, n = 1): void {
    const byKey = this.counts.get(route) ?? new Map<string, number>();
    this.counts.set(route, byKey);
    byKey.set(key, (byKey.get(key) ?? 0) + n);
  }

  /** `{ route: { key: n } }` */
  byRoute(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.counts].map(([route, m]) => [route, Object.fromEntries(m)]));
  }

  /** `{ key: n }` over every route. */
  total(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const byKey of this.counts.values())
      for (const [key, n] of byKey) out[key] = (out[key] ?? 0) + n;
    return out;
  }

  reset(): void {
    this.counts.clear();
  }
}

/** Counts the S3 requests `clients` send, by route and operation. */
export function meterS3(clients: readonly StackClient[], tally: Tally = new Tally()): Tally {
  for (const [i, client] of clients.entries())
    addMiddleware(
      client,
      (next, context) => async (args) => {
        tally.add(routeNow(), operationOf(context.commandName));
        return next(args);
      },
      'deserialize',
      `benchS3Meter${i}`,
    );
  return tally;
}

type Item = Record<string, unknown>;
type Key = Record<string, unknown>;

interface WriteAction {
  readonly table: string;
  readonly key: Key;
  /** A ConditionCheck: charged as a write of the item as it is, changes nothing. */
  readonly check: boolean;
}

const keyOf = (item: Item): Key => ({ PK: item.PK, SK: item.SK });

/** The items a write command touches (native input, as lib-dynamodb's commands carry it). */
function writeActions(operation: string, input: Item): WriteAction[] {
  const table = input.TableName as string;
  if (operation === 'PutItem') return [{ table, key: keyOf(input.Item as Item), check: false }];
  if (operation === 'UpdateItem' || operation === 'DeleteItem')
    return [{ table, key: input.Key as Key, check: false }];
  if (operation === 'TransactWriteItems')
    return (input.TransactItems as Item[]).map((action) => {
      const [kind, body] = Object.entries(action)[0] as [string, Item];
      const key = kind === 'Put' ? keyOf(body.Item as Item) : (body.Key as Key);
      return { table: body.TableName as string, key, check: kind === 'ConditionCheck' };
    });
  if (operation === 'BatchWriteItem')
    return Object.entries(input.RequestItems as Record<string, Item[]>).flatMap(([t, requests]) =>
      requests.map((r) => ({
        table: t,
        key: r.PutRequest
          ? keyOf((r.PutRequest as Item).Item as Item)
          : ((r.DeleteRequest as Item).Key as Key),
        check: false,
      })),
    );
  return [];
}

const WRITES = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'TransactWriteItems',
  'BatchWriteItem',
]);

/** Units of a read command's answer (Query: everything it read together; a filter's misses estimated). */
function readCharge(operation: string, input: Item, output: Item): number {
  const consistent = input.ConsistentRead === true;
  if (operation === 'GetItem')
    return readUnits(itemSize(output.Item as Item | undefined), { consistent });
  if (operation === 'Query' || operation === 'Scan') {
    const items = (output.Items as Item[] | undefined) ?? [];
    let bytes = items.reduce((sum, item) => sum + itemSize(item), 0);
    // Items a FilterExpression dropped were read (and charged) too: at the average size seen.
    const scanned = (output.ScannedCount as number | undefined) ?? items.length;
    if (scanned > items.length && items.length > 0)
      bytes += ((scanned - items.length) * bytes) / items.length;
    return readUnits(bytes, { consistent: consistent && !input.IndexName });
  }
  if (operation === 'BatchGetItem')
    return Object.entries((output.Responses as Record<string, Item[]>) ?? {}).reduce(
      (sum, [table, items]) => {
        const strong =
          ((input.RequestItems as Record<string, Item>)[table]?.ConsistentRead ?? false) === true;
        return (
          sum + items.reduce((s, item) => s + readUnits(itemSize(item), { consistent: strong }), 0)
        );
      },
      0,
    );
  if (operation === 'TransactGetItems')
    return ((output.Responses as { Item?: Item }[]) ?? []).reduce(
      (sum, r) => sum + readUnits(itemSize(r.Item), { consistent: true, transactional: true }),
      0,
    );
  return 0;
}

export interface LedgerMeter {
  /** Units by route: `read`, `write` (table) and `indexWrite` (the user index), and calls by operation. */
  readonly units: Tally;
  readonly calls: Tally;
  /** Charges DynamoDB calls only while on (the write charge reads around every write). */
  enabled: boolean;
}

/**
 * Meters the DynamoDB calls made through `client` (a lib-dynamodb document client, whose
 * `initialize` step sees native inputs and outputs). `reader` reads items around writes; it must
 * be another client, or it would meter itself.
 */
export function meterLedger(client: StackClient, reader: DynamoDBDocumentClient): LedgerMeter {
  const meter: LedgerMeter = { units: new Tally(), calls: new Tally(), enabled: false };
  const read = async (action: WriteAction) =>
    (
      await reader.send(
        new GetCommand({ TableName: action.table, Key: action.key, ConsistentRead: true }),
      )
    ).Item;
  addMiddleware(
    client,
    (next, context) => async (args) => {
      if (!meter.enabled) return next(args);
      const route = routeNow();
      const operation = operationOf(context.commandName);
      const input = (args.input ?? {}) as Item;
      meter.calls.add(route, operation);
      if (!WRITES.has(operation)) {
        const result = await next(args);
        meter.units.add(route, 'read', readCharge(operation, input, (result.output ?? {}) as Item));
        return result;
      }
      const actions = writeActions(operation, input);
      const before = await Promise.all(actions.map(read));
      const charge = async () => {
        const after = await Promise.all(actions.map(read));
        const transactional = operation === 'TransactWriteItems';
        actions.forEach((action, i) => {
          const old = before[i];
          const now = action.check ? old : after[i];
          const units = ledgerWriteCharge(old, now, transactional);
          meter.units.add(route, 'write', units.table);
          meter.units.add(route, 'indexWrite', units.index);
        });
      };
      try {
        const result = await next(args);
        await charge();
        return result;
      } catch (error) {
        // A refused condition or a cancelled transaction is charged too.
        await charge();
        throw error;
      }
    },
    'initialize',
    'benchLedgerMeter',
  );
  return meter;
}
