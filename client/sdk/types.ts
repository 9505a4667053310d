/**
 * Response and request shapes of the upload API (see shared/API.md), named for SDK users. They
 * are aliases of `contract.ts`, which is generated from the server's schemas: never edit a shape
 * here, change the server schema and run `npm run generate:contract`.
 */
import type { components } from './contract.ts';

type Schemas = components['schemas'];

export type UploadSession = Schemas['Session'];
export type SessionStatus = UploadSession['status'];
export type ChecksumMode = UploadSession['checksum'];

export type InitiateRequest = Schemas['InitiateRequest'];

export type ChunkUrl = Schemas['ChunkUrls']['chunks'][number];
export type RecordedChunk = Schemas['RecordedChunk'];

/** One stored chunk to record: `etag` as storage answered its PUT. */
export type ChunkRecordInput = Schemas['RecordChunksRequest']['chunks'][number];

/** What PUT /uploads/{id}/chunks answers; the totals are the session's after this batch. */
export type BatchRecordResult = Schemas['RecordedChunks'];
export type BatchRecordedChunk = BatchRecordResult['recorded'][number];
/** A chunk the server would not record: CHUNK_NOT_UPLOADED, CHUNK_SIZE_MISMATCH or ETAG_MISMATCH. */
export type RejectedChunk = BatchRecordResult['rejected'][number];

export type ResumeState = Schemas['ResumeState'];
export type UploadProgressState = Schemas['Progress'];

/** The finished file: what complete answers. */
export type FileRecord = Schemas['FileRecord'];
export type DeletedFile = Schemas['DeletedFile'];
export type DownloadLink = Schemas['DownloadUrl'];
export type SessionPage = Schemas['SessionList'];
export type ErrorBody = Schemas['Error'];
