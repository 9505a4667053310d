import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { USER_INDEX } from '../src/adapters/session-item.ts';
import type { RouteId } from '../src/http/routes.ts';

/** Every object the API writes lives under this prefix (src/domain/object-key.ts). */
export const OBJECT_KEY_PREFIX = 'uploads/';

/** What one function may do, by resource. Anything not listed is denied. */
export interface StorageAccess {
  /** On the table's items. */
  readonly table?: readonly string[];
  /** On the user index (GSI1). */
  readonly userIndex?: readonly string[];
  /** On objects under OBJECT_KEY_PREFIX, including their multipart uploads. */
  readonly objects?: readonly string[];
  /** On the bucket itself. */
  readonly bucket?: readonly string[];
  /** On the bucket's KMS key, only when the bucket uses one. */
  readonly key?: readonly string[];
}

const GET = 'dynamodb:GetItem';
const UPDATE = 'dynamodb:UpdateItem';
const QUERY = 'dynamodb:Query';
const LIST_PARTS = 's3:ListMultipartUploadParts';
/** S3 authorizes CreateMultipartUpload, UploadPart and CompleteMultipartUpload as PutObject. */
const PUT_OBJECT = 's3:PutObject';
const ABORT = 's3:AbortMultipartUpload';
const DECRYPT = 'kms:Decrypt';
const GENERATE_DATA_KEY = 'kms:GenerateDataKey';

/**
 * The one table of least privilege, from the actions each route's use case and adapters call
 * (src/domain/use-cases, src/adapters). TransactWriteItems is authorized per item: initiate's
 * transaction holds only Puts. Presigning needs the signer to hold the signed action.
 */
export const ROUTE_ACCESS = {
  // GetItem (slots, idempotency key, file alias, session), TransactWriteItems of Puts;
  // CreateMultipartUpload, and AbortMultipartUpload when a racing request won.
  initiate: {
    table: [GET, 'dynamodb:PutItem'],
    objects: [PUT_OBJECT, ABORT],
    key: [GENERATE_DATA_KEY, DECRYPT],
  },
  // Presigned UploadPart URLs: the URL carries the signer's permission.
  chunkUrls: { table: [GET], objects: [PUT_OBJECT], key: [GENERATE_DATA_KEY, DECRYPT] },
  // ListParts to verify the part, then one transaction of Updates (chunk pages and the
  // session's totals); GetItem re-reads a page whose condition lost.
  recordChunk: { table: [GET, UPDATE], objects: [LIST_PARTS], key: [DECRYPT] },
  // The same use case as recordChunk, for up to 100 chunks at once.
  recordChunks: { table: [GET, UPDATE], objects: [LIST_PARTS], key: [DECRYPT] },
  progress: { table: [GET] },
  // Query of the recorded chunk pages, ListParts, then a transaction of Updates dropping changed
  // chunks and counting parts whose record call was lost.
  resume: { table: [GET, UPDATE, QUERY], objects: [LIST_PARTS], key: [DECRYPT] },
  // Query of the recorded chunk pages, ListParts, a transaction of Updates dropping changed
  // chunks, conditional transitions and slot release (UpdateItem), CompleteMultipartUpload,
  // HeadObject (GetObject; ListBucket makes a missing object 404 instead of 403), DeleteObject
  // of a wrongly sized result.
  complete: {
    table: [GET, UPDATE, QUERY],
    objects: [LIST_PARTS, PUT_OBJECT, 's3:GetObject', 's3:DeleteObject'],
    bucket: ['s3:ListBucket'],
    key: [GENERATE_DATA_KEY, DECRYPT],
  },
  // Conditional cancel and slot release (UpdateItem), AbortMultipartUpload, and DeleteObject of
  // an object a failed completion may have left under the session's key.
  cancel: { table: [GET, UPDATE], objects: [ABORT, 's3:DeleteObject'] },
  getUpload: { table: [GET] },
  // A presigned GetObject URL.
  download: { table: [GET], objects: ['s3:GetObject'], key: [DECRYPT] },
  // Query on the user index only; items come from the index projection.
  listUploads: { userIndex: ['dynamodb:Query'] },
  // The conditional move to `deleted` (UpdateItem), then DeleteObject of the finished file.
  deleteFile: { table: [GET, UPDATE], objects: ['s3:DeleteObject'] },
} as const satisfies Record<RouteId, StorageAccess>;

/**
 * The stream consumer aborts the multipart upload of a TTL-deleted unfinished session and deletes
 * any object under its key: one a failed completion left, or the file of an uploaded or deleted
 * session whose record expired. Stream read is granted by its event source.
 */
export const CLEANUP_ACCESS = {
  objects: [ABORT, 's3:DeleteObject'],
} as const satisfies StorageAccess;

export interface StorageResources {
  readonly table: ITable;
  readonly bucket: IBucket;
  readonly key: IKey | undefined;
}

/** Adds exactly the listed actions, each on its own resource, to the role's policy. */
export function grantStorageAccess(
  role: IRole,
  access: StorageAccess,
  { table, bucket, key }: StorageResources,
): void {
  const statements: [readonly string[] | undefined, string[]][] = [
    [access.table, [table.tableArn]],
    [access.userIndex, [`${table.tableArn}/index/${USER_INDEX}`]],
    [access.objects, [bucket.arnForObjects(`${OBJECT_KEY_PREFIX}*`)]],
    [access.bucket, [bucket.bucketArn]],
    [key ? access.key : undefined, key ? [key.keyArn] : []],
  ];
  for (const [actions, resources] of statements) {
    if (!actions || actions.length === 0) continue;
    role.addToPrincipalPolicy(new PolicyStatement({ actions: [...actions], resources }));
  }
  if (access.objects && access.objects.length > 0) {
    const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${OBJECT_KEY_PREFIX}*]`,
      reason: `Object keys are generated per upload; access is limited to the ${OBJECT_KEY_PREFIX} prefix and to the listed actions.`,
    });
  }
}
