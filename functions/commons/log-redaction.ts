/**
 * Log lines must never carry credentials: bearer tokens, JWTs, SigV4 signatures, session tokens
 * or presigned URLs (whose query string is a usable signature), plain or percent-encoded. Errors
 * are the usual carrier (an SDK or middleware error that quotes a request), so every string of
 * every log line is scrubbed, error messages and stacks included.
 */
// `=`, `?` and `&` percent-encoded once or more (an URL inside an URL's query is encoded again).
const EQ = '%(?:25)*3D';
const QUERY = '%(?:25)*3F';
const AMP = '%(?:25)*26';
const SIGNING_PARAM = 'X-Amz-(?:Signature|Credential|Security-Token)';

const RULES: readonly [RegExp, string][] = [
  // A presigned URL: keep where it pointed, drop the whole query string.
  [/(https?:\/\/[^\s"'?]+)\?[^\s"']*X-Amz-[^\s"']*/gi, '$1?[REDACTED]'],
  [/X-Amz-(Signature|Credential|Security-Token)=[^&\s"']+/gi, '[REDACTED]'],
  // The same, percent-encoded: its query ends where the enclosing parameter does.
  [
    new RegExp(
      `(https?%(?:25)*3A%(?:25)*2F%(?:25)*2F[^\\s"'&?]*?${QUERY})[^\\s"'&]*X-Amz-[^\\s"'&]*`,
      'gi',
    ),
    '$1[REDACTED]',
  ],
  [new RegExp(`(${SIGNING_PARAM}${EQ})(?:(?!${AMP})[^\\s"'&])+`, 'gi'), '$1[REDACTED]'],
  // A SigV4 Authorization header: keep the scheme and the signed header names.
  [/(?<=\bAWS4-HMAC-SHA256\s[^"'\n]*)\b(Credential|Signature)=[^\s"',]+/g, '$1=[REDACTED]'],
  [/(x-amz-security-token["']?\s*:\s*["']?)[^\s"',;]+/gi, '$1[REDACTED]'],
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[REDACTED-JWT]'],
  [/\b(Bearer|Basic)\s+[^\s"',]+/gi, '$1 [REDACTED]'],
];

/** Headers or query parameters whose whole value is a credential, however it looks. */
const SECRET_FIELD = /^x-amz-(?:security-token|signature|credential)$/i;

export function redactSecrets(text: string): string {
  let result = text;
  for (const [pattern, replacement] of RULES) result = result.replace(pattern, replacement);
  return result;
}

/** A JSON replacer for Powertools Logger (`jsonReplacerFn`): scrubs every string value. */
export const redactingReplacer = (key: string, value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  return SECRET_FIELD.test(key) ? '[REDACTED]' : redactSecrets(value);
};
