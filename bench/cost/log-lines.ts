/**
 * Log lines CloudWatch Logs ingests per API request besides what the function prints (which the
 * local server measures): Lambda's platform lines (START, END, REPORT in the text log format the
 * functions use) and the API's access log line (infra/upload-http-api.ts logs 16 fields as one
 * JSON object). Neither exists locally, so each is estimated from a representative line, its
 * fields filled with values of typical length. Estimates, not measurements.
 */
const REQUEST_ID = '8f5c3a7e-6b1d-4e2f-9a3b-1c2d3e4f5a6b';
const SESSION_ID = '3f9c2a10-5b7e-4c1d-9a8b-0c2d4e6f8a1b';

const PLATFORM_LINES = [
  `START RequestId: ${REQUEST_ID} Version: $LATEST`,
  `END RequestId: ${REQUEST_ID}`,
  `REPORT RequestId: ${REQUEST_ID}\tDuration: 48.27 ms\tBilled Duration: 49 ms\tMemory Size: 512 MB\tMax Memory Used: 98 MB\t`,
];

/** The access log format's fields with typical values (a record call of a Cognito user). */
const ACCESS_LOG_LINE = {
  requestId: 'Jx3kLhb8IAMEVfw=',
  extendedRequestId: 'Jx3kLhb8IAMEVfw=',
  requestTime: '01/Dec/2026:12:00:00 +0000',
  routeKey: 'PUT /api/v1/uploads/{id}/chunks',
  path: `/api/v1/uploads/${SESSION_ID}/chunks`,
  status: '200',
  protocol: 'HTTP/1.1',
  responseLength: '187',
  responseLatency: '52',
  integrationStatus: '200',
  integrationLatency: '50',
  integrationError: '-',
  authorizerError: '-',
  sub: '3c1e0f7a-2b4d-4e6f-8a9b-0c1d2e3f4a5b',
  sourceIp: '203.0.113.10',
  userAgent: 'upload-api-sdk/0.1 node/24.21.0',
};

const bytes = (line: string) => Buffer.byteLength(line, 'utf8') + 1; // with its newline

/** START + END + REPORT of one invocation. */
export const PLATFORM_LOG_BYTES = PLATFORM_LINES.reduce((sum, line) => sum + bytes(line), 0);

/** One access log line. */
export const ACCESS_LOG_BYTES = bytes(JSON.stringify(ACCESS_LOG_LINE));
