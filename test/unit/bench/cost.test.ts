import { describe, expect, it } from 'vitest';
import { s3PriceClass, type UploadUsage, volumeCost } from '../../../bench/cost/model.ts';
import { type PriceTable, PriceTableSchema, readPrices } from '../../../bench/cost/prices.ts';

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const TIB = 1024 ** 4;

const price = (usd: number, per: number) => ({
  usd,
  per,
  unit: 'test',
  tier: 'test',
  source: 'https://aws.amazon.com/pricing/',
});

/** Round list prices, fixed here so that the hand computation below never changes. */
const PRICES: PriceTable = PriceTableSchema.parse({
  asOf: '2026-12-01',
  region: 'us-east-1',
  currency: 'USD',
  verified: false,
  prices: {
    apiGatewayHttpRequest: price(1, 1e6),
    lambdaRequest: price(0.2, 1e6),
    lambdaArm64GbSecond: price(0.0000133334, 1),
    dynamodbWriteRequestUnit: price(0.625, 1e6),
    dynamodbReadRequestUnit: price(0.125, 1e6),
    s3PutCopyPostListRequest: price(0.005, 1000),
    s3GetAndOtherRequest: price(0.0004, 1000),
    s3DeleteCancelRequest: price(0, 1000),
    cloudwatchLogsIngestionGb: price(0.5, 1),
  },
  notIncluded: [],
});

describe('volumeCost', () => {
  it('scales one measured upload to 1 TiB and prices every line (computed by hand)', () => {
    // Prepare: one 1 GiB upload in 64 chunks of 16 MiB, as a measurement would report it.
    const usage: UploadUsage = {
      fileBytes: GIB,
      chunkBytes: 16 * MIB,
      chunks: 64,
      apiRequests: 5, // initiate, sign, 2 record batches, complete
      lambdaBilledMs: 200,
      readUnits: 10,
      writeUnits: 30,
      s3Requests: {
        UploadPart: 64,
        CreateMultipartUpload: 1,
        ListParts: 3,
        CompleteMultipartUpload: 1,
        HeadObject: 1,
        AbortMultipartUpload: 2,
      },
      logBytes: MIB,
    };

    // Act
    const cost = volumeCost(usage, TIB, 512, PRICES);

    // Assess: 1 TiB / 1 GiB = 1024 uploads.
    expect(cost.uploads).toBe(1024);
    expect(cost.chunks).toBe(65_536);
    expect(cost.apiRequests).toBe(5120);
    // 0.2 s x 0.5 GB = 0.1 GB-s per upload.
    expect(cost.lambdaGbSeconds).toBeCloseTo(102.4, 10);
    expect(cost.s3Requests).toEqual({
      putCopyPostList: 69 * 1024,
      getAndOther: 1024,
      deleteCancel: 2048,
    });
    expect(cost.logGb).toBe(1);
    // 5,120 requests at $1 and $0.20 per million.
    expect(cost.usd.apiGateway).toBeCloseTo(0.00512, 12);
    expect(cost.usd.lambdaRequests).toBeCloseTo(0.001024, 12);
    // 102.4 GB-s x $0.0000133334.
    expect(cost.usd.lambdaDuration).toBeCloseTo(0.00136534016, 12);
    // 10,240 RRU x $0.125/M + 30,720 WRU x $0.625/M = 0.00128 + 0.0192.
    expect(cost.usd.dynamodb).toBeCloseTo(0.02048, 12);
    // 70,656 x $0.005/1000 + 1,024 x $0.0004/1000 (+ free aborts) = 0.35328 + 0.0004096.
    expect(cost.usd.s3Requests).toBeCloseTo(0.3536896, 12);
    expect(cost.usd.logs).toBeCloseTo(0.5, 12);
    expect(cost.usd.total).toBeCloseTo(0.88167894016, 10);
  });

  it('prices a bare S3 upload from its requests alone', () => {
    // Prepare: lib-storage, 1 GiB in 5 MiB parts: Create + 205 parts + Complete.
    const usage: UploadUsage = {
      fileBytes: GIB,
      chunkBytes: 5 * MIB,
      chunks: 205,
      apiRequests: 0,
      lambdaBilledMs: 0,
      readUnits: 0,
      writeUnits: 0,
      s3Requests: { CreateMultipartUpload: 1, UploadPart: 205, CompleteMultipartUpload: 1 },
      logBytes: 0,
    };

    // Act
    const cost = volumeCost(usage, TIB, 512, PRICES);

    // Assess: 207 x 1024 PUT-class requests at $0.005 per 1,000 = $1.05984.
    expect(cost.usd.total).toBeCloseTo(1.05984, 10);
    expect(cost.usd.total).toBe(cost.usd.s3Requests);
  });

  it('refuses an empty file or volume', () => {
    const usage = { fileBytes: 0 } as UploadUsage;
    expect(() => volumeCost(usage, TIB, 512, PRICES)).toThrow(RangeError);
  });
});

describe('s3PriceClass', () => {
  it('puts writes and listings in one class, deletes and aborts in the free one, the rest in GET', () => {
    expect(s3PriceClass('UploadPartCommand')).toBe('putCopyPostList');
    expect(s3PriceClass('ListParts')).toBe('putCopyPostList');
    expect(s3PriceClass('CompleteMultipartUpload')).toBe('putCopyPostList');
    expect(s3PriceClass('AbortMultipartUploadCommand')).toBe('deleteCancel');
    expect(s3PriceClass('HeadObject')).toBe('getAndOther');
  });
});

describe('the price table in the repository', () => {
  it('is valid, dated, for us-east-1, and says whether it was checked', async () => {
    const table = await readPrices();
    expect(table.region).toBe('us-east-1');
    expect(table.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(typeof table.verified).toBe('boolean');
    for (const entry of Object.values(table.prices)) expect(entry.source).toMatch(/^https:\/\//);
  });
});
