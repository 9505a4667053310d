/**
 * Generated from the API's OpenAPI document by `npm run generate:contract`; do not edit.
 * The shapes are the server's zod schemas (src/http/schemas.ts).
 */
export interface paths {
    "/api/v1/uploads/initiate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start an upload session */
        post: operations["initiate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads/{id}/chunks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Record many uploaded chunks at once */
        put: operations["recordChunks"];
        /** Presigned URLs for chunks */
        post: operations["chunkUrls"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads/{id}/chunks/{chunkNumber}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Record an uploaded chunk */
        put: operations["recordChunk"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads/{id}/progress": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Upload progress */
        get: operations["progress"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reconcile with storage and list missing chunks */
        post: operations["resume"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads/{id}/complete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Assemble the file */
        post: operations["complete"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The session */
        get: operations["getUpload"];
        put?: never;
        post?: never;
        /** Cancel and release stored parts */
        delete: operations["cancel"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads/{id}/download": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Presigned download URL */
        get: operations["download"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's sessions, newest first */
        get: operations["listUploads"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads/{id}/file": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete the finished file */
        delete: operations["deleteFile"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        InitiateRequest: {
            /**
             * @description File name: 1-255 Unicode code points; no control (Cc), format (Cf, e.g. U+202E, U+200B, U+FEFF, U+2066-U+2069), line or paragraph separator (Zl, Zp) characters and no lone surrogates; not only spaces and dots.
             * @example video.mp4
             */
            fileName: string & (unknown & unknown);
            /** @description Bytes; above the configured maximum: 413 */
            fileSize: number;
            /** @example video/mp4 */
            contentType?: string;
            /**
             * @description Up to 20 entries; keys 1-64 letters, digits, `-` or `_`; values printable ASCII, up to 1024 characters; keys and values together at most 2048 characters (the S3 user-metadata limit). The keys __proto__, constructor, prototype are reserved (400).
             * @example {
             *       "project": "apollo"
             *     }
             */
            metadata?: {
                [key: string]: string;
            };
            /** @description Bytes, default 5 MiB; raised so that totalChunks <= 10000. Below 5242880 (5 MiB) only when the file fits in one chunk, else 400. */
            chunkSize?: number;
            /**
             * @description SHA-256 digest, base64 (44 characters ending in `=`)
             * @example 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
             */
            fileSha256?: string;
            /**
             * @description Default SHA256
             * @enum {string}
             */
            checksum?: "SHA256" | "NONE";
        };
        ChunkUrlsRequest: {
            chunks: {
                chunkNumber: number;
                /**
                 * @description SHA-256 digest, base64 (44 characters ending in `=`)
                 * @example 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
                 */
                checksumSha256?: string;
            }[];
        };
        RecordChunkRequest: {
            /** @description The ETag S3 returned; quotes allowed */
            etag: string;
            /**
             * @description SHA-256 digest, base64 (44 characters ending in `=`)
             * @example 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
             */
            checksumSha256?: string;
        };
        RecordChunksRequest: {
            /** @description 1 to 100 entries with distinct chunk numbers (else 400) */
            chunks: {
                chunkNumber: number;
                /** @description The ETag S3 returned; quotes allowed */
                etag: string;
                /**
                 * @description SHA-256 digest, base64 (44 characters ending in `=`)
                 * @example 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
                 */
                checksumSha256?: string;
            }[];
        };
        CompleteRequest: {
            /**
             * @description SHA-256 digest, base64 (44 characters ending in `=`)
             * @example 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
             */
            fileSha256?: string;
        };
        Session: {
            id: string;
            fileId: string;
            fileName: string;
            fileSize: number;
            contentType: string;
            chunkSize: number;
            totalChunks: number;
            /** @enum {string} */
            status: "initiated" | "uploading" | "completing" | "uploaded" | "cancelled" | "expired" | "failed" | "deleted";
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            expiresAt: string;
            key: string;
            /** @enum {string} */
            checksum: "SHA256" | "NONE";
            metadata: {
                [key: string]: string;
            };
            uploadedBytes: number;
            chunksUploaded: number;
            error?: string;
        };
        ChunkUrls: {
            chunks: {
                chunkNumber: number;
                url: string;
                /** @constant */
                method: "PUT";
                headers: {
                    [key: string]: string;
                };
                size: number;
                /** Format: date-time */
                expiresAt: string;
            }[];
        };
        RecordedChunk: {
            chunkNumber: number;
            size: number;
            etag: string;
            checksum: string | null;
            storageKey: string;
            /** Format: date-time */
            uploadedAt: string;
            uploadedBytes: number;
            chunksUploaded: number;
            totalChunks: number;
        };
        RecordedChunks: {
            recorded: {
                chunkNumber: number;
                size: number;
                etag: string;
                checksum: string | null;
                /** Format: date-time */
                uploadedAt: string;
            }[];
            rejected: {
                chunkNumber: number;
                /** @enum {string} */
                code: "CHUNK_NOT_UPLOADED" | "CHUNK_SIZE_MISMATCH" | "ETAG_MISMATCH";
                message: string;
                details?: {
                    [key: string]: unknown;
                };
            }[];
            uploadedBytes: number;
            chunksUploaded: number;
            totalChunks: number;
        };
        Progress: {
            sessionId: string;
            fileId: string;
            fileName: string;
            totalSize: number;
            uploadedBytes: number;
            percentComplete: number;
            chunksUploaded: number;
            totalChunks: number;
            /** @enum {string} */
            status: "initiated" | "uploading" | "completing" | "uploaded" | "cancelled" | "expired" | "failed" | "deleted";
            /** @description HH:MM:SS, null until a rate is known */
            estimatedTimeRemaining: string | null;
            /** Format: date-time */
            expiresAt: string;
        };
        ResumeState: {
            id: string;
            /** @enum {string} */
            status: "initiated" | "uploading" | "completing" | "uploaded" | "cancelled" | "expired" | "failed" | "deleted";
            uploadedBytes: number;
            nextChunkNumber: number | null;
            missingChunks: number[];
            chunkSize: number;
            totalChunks: number;
            /** Format: date-time */
            expiresAt: string;
        };
        FileRecord: {
            id: string;
            sessionId: string;
            name: string;
            size: number;
            contentType: string;
            /** @constant */
            status: "uploaded";
            /** Format: date-time */
            uploadedAt: string;
            checksum: string | null;
            etag: string;
            key: string;
            metadata: {
                [key: string]: string;
            };
            fileSha256?: string;
        };
        DownloadUrl: {
            url: string;
            /** Format: date-time */
            expiresAt: string;
        };
        DeletedFile: {
            id: string;
            /** @constant */
            status: "deleted";
        };
        SessionList: {
            items: {
                id: string;
                fileId: string;
                fileName: string;
                fileSize: number;
                contentType: string;
                chunkSize: number;
                totalChunks: number;
                /** @enum {string} */
                status: "initiated" | "uploading" | "completing" | "uploaded" | "cancelled" | "expired" | "failed" | "deleted";
                /** Format: date-time */
                createdAt: string;
                /** Format: date-time */
                expiresAt: string;
                key: string;
                /** @enum {string} */
                checksum: "SHA256" | "NONE";
                metadata: {
                    [key: string]: string;
                };
                uploadedBytes: number;
                chunksUploaded: number;
                error?: string;
            }[];
            nextCursor: string | null;
        };
        Error: {
            /** @constant */
            success: false;
            error: {
                /** @enum {string} */
                code: "VALIDATION_ERROR" | "UNAUTHORIZED" | "SESSION_NOT_FOUND" | "CHUNK_NOT_UPLOADED" | "CHUNKS_MISSING" | "INVALID_STATE" | "COMPLETION_IN_PROGRESS" | "IDEMPOTENCY_KEY_REUSED" | "SESSION_EXPIRED" | "SESSION_CANCELLED" | "FILE_DELETED" | "FILE_TOO_LARGE" | "UNSUPPORTED_CONTENT_TYPE" | "CHUNK_SIZE_MISMATCH" | "ETAG_MISMATCH" | "CHECKSUM_REQUIRED" | "TOO_MANY_ACTIVE_UPLOADS" | "STORAGE_UNAVAILABLE" | "INTERNAL_ERROR";
                message: string;
                details?: {
                    [key: string]: unknown;
                };
            };
        };
        GatewayError: {
            message: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    initiate: {
        parameters: {
            query?: never;
            header?: {
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InitiateRequest"];
            };
        };
        responses: {
            /** @description The existing session (a replay) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        data: components["schemas"]["Session"];
                    };
                };
            };
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        data: components["schemas"]["Session"];
                    };
                };
            };
            /** @description VALIDATION_ERROR */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "VALIDATION_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNAUTHORIZED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "IDEMPOTENCY_KEY_REUSED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description FILE_TOO_LARGE */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "FILE_TOO_LARGE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description UNSUPPORTED_CONTENT_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNSUPPORTED_CONTENT_TYPE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description TOO_MANY_ACTIVE_UPLOADS */
            429: {
                headers: {
                    /** @description Seconds to wait, when present; TOO_MANY_ACTIVE_UPLOADS has none (it clears when a live session ends) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "TOO_MANY_ACTIVE_UPLOADS";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description INTERNAL_ERROR */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INTERNAL_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description STORAGE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "STORAGE_UNAVAILABLE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Function timed out (API Gateway) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
        };
    };
    recordChunks: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Any id this API did not issue is 404 */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RecordChunksRequest"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        data: components["schemas"]["RecordedChunks"];
                    };
                };
            };
            /** @description VALIDATION_ERROR */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "VALIDATION_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNAUTHORIZED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description SESSION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_NOT_FOUND";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_STATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INVALID_STATE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description SESSION_EXPIRED, SESSION_CANCELLED, FILE_DELETED */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_EXPIRED" | "SESSION_CANCELLED" | "FILE_DELETED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description Request too large (API Gateway) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
            /** @description INTERNAL_ERROR */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INTERNAL_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description STORAGE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "STORAGE_UNAVAILABLE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Function timed out (API Gateway) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
        };
    };
    chunkUrls: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Any id this API did not issue is 404 */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChunkUrlsRequest"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        data: components["schemas"]["ChunkUrls"];
                    };
                };
            };
            /** @description VALIDATION_ERROR */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "VALIDATION_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNAUTHORIZED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description SESSION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_NOT_FOUND";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_STATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INVALID_STATE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description SESSION_EXPIRED, SESSION_CANCELLED, FILE_DELETED */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_EXPIRED" | "SESSION_CANCELLED" | "FILE_DELETED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description Request too large (API Gateway) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
            /** @description CHECKSUM_REQUIRED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "CHECKSUM_REQUIRED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description INTERNAL_ERROR */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INTERNAL_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description STORAGE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "STORAGE_UNAVAILABLE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Function timed out (API Gateway) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
        };
    };
    recordChunk: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Any id this API did not issue is 404 */
                id: string;
                chunkNumber: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RecordChunkRequest"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        data: components["schemas"]["RecordedChunk"];
                    };
                };
            };
            /** @description VALIDATION_ERROR */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "VALIDATION_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNAUTHORIZED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description SESSION_NOT_FOUND, CHUNK_NOT_UPLOADED */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_NOT_FOUND" | "CHUNK_NOT_UPLOADED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_STATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INVALID_STATE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description SESSION_EXPIRED, SESSION_CANCELLED, FILE_DELETED */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_EXPIRED" | "SESSION_CANCELLED" | "FILE_DELETED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description Request too large (API Gateway) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
            /** @description CHUNK_SIZE_MISMATCH, ETAG_MISMATCH */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "CHUNK_SIZE_MISMATCH" | "ETAG_MISMATCH";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description INTERNAL_ERROR */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INTERNAL_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description STORAGE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "STORAGE_UNAVAILABLE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Function timed out (API Gateway) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
        };
    };
    progress: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Any id this API did not issue is 404 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        data: components["schemas"]["Progress"];
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNAUTHORIZED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description SESSION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_NOT_FOUND";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description Request too large (API Gateway) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
            /** @description INTERNAL_ERROR */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INTERNAL_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description STORAGE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "STORAGE_UNAVAILABLE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Function timed out (API Gateway) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
        };
    };
    resume: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Any id this API did not issue is 404 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        data: components["schemas"]["ResumeState"];
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNAUTHORIZED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description SESSION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_NOT_FOUND";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_STATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INVALID_STATE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description SESSION_EXPIRED, SESSION_CANCELLED, FILE_DELETED */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_EXPIRED" | "SESSION_CANCELLED" | "FILE_DELETED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description Request too large (API Gateway) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
            /** @description INTERNAL_ERROR */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INTERNAL_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description STORAGE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "STORAGE_UNAVAILABLE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Function timed out (API Gateway) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
        };
    };
    complete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Any id this API did not issue is 404 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["CompleteRequest"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        data: components["schemas"]["FileRecord"];
                    };
                };
            };
            /** @description VALIDATION_ERROR */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "VALIDATION_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNAUTHORIZED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description SESSION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_NOT_FOUND";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_STATE, CHUNKS_MISSING, COMPLETION_IN_PROGRESS */
            409: {
                headers: {
                    /** @description Sent with COMPLETION_IN_PROGRESS: seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INVALID_STATE" | "CHUNKS_MISSING" | "COMPLETION_IN_PROGRESS";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description SESSION_EXPIRED, SESSION_CANCELLED, FILE_DELETED */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_EXPIRED" | "SESSION_CANCELLED" | "FILE_DELETED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description Request too large (API Gateway) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
            /** @description INTERNAL_ERROR */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INTERNAL_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description STORAGE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "STORAGE_UNAVAILABLE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Function timed out (API Gateway) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
        };
    };
    getUpload: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Any id this API did not issue is 404 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        data: components["schemas"]["Session"];
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNAUTHORIZED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description SESSION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_NOT_FOUND";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description Request too large (API Gateway) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
            /** @description INTERNAL_ERROR */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INTERNAL_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description STORAGE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "STORAGE_UNAVAILABLE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Function timed out (API Gateway) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
        };
    };
    cancel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Any id this API did not issue is 404 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        message: string;
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNAUTHORIZED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description SESSION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_NOT_FOUND";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_STATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INVALID_STATE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description SESSION_EXPIRED, FILE_DELETED */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_EXPIRED" | "FILE_DELETED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description Request too large (API Gateway) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
            /** @description INTERNAL_ERROR */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INTERNAL_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description STORAGE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "STORAGE_UNAVAILABLE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Function timed out (API Gateway) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
        };
    };
    download: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Any id this API did not issue is 404 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        data: components["schemas"]["DownloadUrl"];
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNAUTHORIZED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description SESSION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_NOT_FOUND";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_STATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INVALID_STATE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description SESSION_EXPIRED, SESSION_CANCELLED, FILE_DELETED */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_EXPIRED" | "SESSION_CANCELLED" | "FILE_DELETED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description Request too large (API Gateway) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
            /** @description INTERNAL_ERROR */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INTERNAL_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description STORAGE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "STORAGE_UNAVAILABLE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Function timed out (API Gateway) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
        };
    };
    listUploads: {
        parameters: {
            query?: {
                status?: "active" | "uploaded" | "all";
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        data: components["schemas"]["SessionList"];
                    };
                };
            };
            /** @description VALIDATION_ERROR */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "VALIDATION_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNAUTHORIZED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Request too large (API Gateway) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
            /** @description INTERNAL_ERROR */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INTERNAL_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description STORAGE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "STORAGE_UNAVAILABLE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Function timed out (API Gateway) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
        };
    };
    deleteFile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Any id this API did not issue is 404 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: true;
                        data: components["schemas"]["DeletedFile"];
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "UNAUTHORIZED";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description SESSION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "SESSION_NOT_FOUND";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_STATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INVALID_STATE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description Request too large (API Gateway) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
            /** @description INTERNAL_ERROR */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "INTERNAL_ERROR";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
            };
            /** @description STORAGE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        success: false;
                        error: {
                            /** @enum {string} */
                            code: "STORAGE_UNAVAILABLE";
                            message: string;
                            details?: {
                                [key: string]: unknown;
                            };
                        };
                    } | components["schemas"]["GatewayError"];
                };
            };
            /** @description Function timed out (API Gateway) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayError"];
                };
            };
        };
    };
}
