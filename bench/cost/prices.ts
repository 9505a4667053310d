/**
 * The price table of the cost model (bench/cost/prices.json): list prices of one region on one
 * date, each with its unit and source. Read and validated here; the figures themselves are data.
 */
import { readFile } from 'node:fs/promises';
import * as z from 'zod';

const Price = z.object({
  /** USD for `per` units. */
  usd: z.number().nonnegative(),
  per: z.number().positive(),
  unit: z.string().min(1),
  tier: z.string(),
  source: z.url(),
});

export const PRICE_NAMES = [
  'apiGatewayHttpRequest',
  'lambdaRequest',
  'lambdaArm64GbSecond',
  'dynamodbWriteRequestUnit',
  'dynamodbReadRequestUnit',
  's3PutCopyPostListRequest',
  's3GetAndOtherRequest',
  's3DeleteCancelRequest',
  'cloudwatchLogsIngestionGb',
] as const;

export type PriceName = (typeof PRICE_NAMES)[number];

export const PriceTableSchema = z.object({
  asOf: z.iso.date(),
  region: z.string().min(1),
  currency: z.literal('USD'),
  /** False until someone checked every price at its source on `asOf`. */
  verified: z.boolean(),
  warning: z.string().optional(),
  prices: z.object(
    Object.fromEntries(PRICE_NAMES.map((name) => [name, Price])) as Record<PriceName, typeof Price>,
  ),
  notIncluded: z.array(z.string()),
});

export type PriceTable = z.output<typeof PriceTableSchema>;

export const PRICES_FILE = new URL('./prices.json', import.meta.url);

export async function readPrices(file: URL | string = PRICES_FILE): Promise<PriceTable> {
  return PriceTableSchema.parse(JSON.parse(await readFile(file, 'utf8')));
}

/** USD for one unit (one request, one GB-second, one GB). */
export const unitPrice = (table: PriceTable, name: PriceName): number =>
  table.prices[name].usd / table.prices[name].per;
