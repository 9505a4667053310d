import {
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type MultipartUpload,
} from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoSessionLedger } from '../../src/adapters/dynamo-session-ledger.ts';
import type { Harness } from './harness.ts';
import { gate, type SdkCall, type SdkHooks } from './sdk-hooks.ts';

/** A call held by `holdAt`: `reached` resolves once the call is paused, `release` lets it go on. */
export interface Hold {
  readonly reached: Promise<void>;
  release(): void;
}

/**
 * Pauses the first call that `matches`: `before` holds it unsent, `after` sends it and holds its
 * answer (the operation has done that step but has not seen it yet). Every other call goes through.
 */
export function holdAt(
  hooks: SdkHooks,
  matches: (call: SdkCall) => boolean,
  when: 'before' | 'after' = 'before',
): Hold {
  const reached = gate();
  const released = gate();
  let taken = false;
  hooks.use(async (call, send) => {
    if (taken || !matches(call)) return send();
    taken = true;
    if (when === 'before') {
      reached.open();
      await released.opened;
      return send();
    }
    try {
      return await send();
    } finally {
      reached.open();
      await released.opened;
    }
  });
  return { reached: reached.opened, release: released.open };
}

/** Matchers for the calls the races pause on. Keys are matched on their JSON, marshalled or not. */
export const on = {
  s3: (command: string, key: string) => (call: SdkCall) =>
    call.service === 's3' && call.command === command && call.input.Key === key,
  /** A conditional UpdateItem on a session whose update or condition mentions `fragment`. */
  sessionUpdate: (sessionId: string, fragment: string) => (call: SdkCall) =>
    call.command === 'UpdateItemCommand' &&
    JSON.stringify(call.input.Key).includes(`SESSION#${sessionId}`) &&
    `${call.input.UpdateExpression} ${call.input.ConditionExpression}`.includes(fragment),
  /** The transaction that records chunks: their pages and the session's totals. */
  recordWrite: (sessionId: string) => (call: SdkCall) =>
    call.command === 'TransactWriteItemsCommand' &&
    JSON.stringify(call.input).includes(`SESSION#${sessionId}`) &&
    JSON.stringify(call.input).includes('lastChunkAt'),
  sessionRead: (sessionId: string) => (call: SdkCall) =>
    call.command === 'GetItemCommand' &&
    JSON.stringify(call.input.Key).includes(`SESSION#${sessionId}`),
  command: (command: string) => (call: SdkCall) => call.command === command,
};

/** The UpdateItem fragments that identify each ledger write. */
export const WRITE = {
  cancel: ':cancelled',
  beginCompletion: 'completionToken = :token, completingSince',
  finishCompletion: ':uploaded',
} as const;

export async function sessionItem(
  harness: Harness,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  const out = await harness.db.send(
    new GetCommand({
      TableName: harness.table,
      Key: { PK: `SESSION#${id}`, SK: 'SESSION' },
      ConsistentRead: true,
    }),
  );
  return out.Item;
}

/** Multipart uploads storage still holds under `prefix`. */
export async function multipartUploads(
  harness: Harness,
  prefix: string,
): Promise<MultipartUpload[]> {
  const out = await harness.s3.send(
    new ListMultipartUploadsCommand({ Bucket: harness.bucket, Prefix: prefix }),
  );
  return out.Uploads ?? [];
}

/** The object's size, or undefined when storage has no object under `key`. */
export async function objectSize(harness: Harness, key: string): Promise<number | undefined> {
  try {
    const head = await harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: key }));
    return head.ContentLength;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
      return undefined;
    throw error;
  }
}

/** The chunk numbers the ledger holds for a session, read from its chunk pages. */
export async function chunkSet(harness: Harness, id: string): Promise<number[]> {
  const ledger = new DynamoSessionLedger(harness.db, harness.table);
  return [...(await ledger.readChunks(id)).keys()].sort((a, b) => a - b);
}
