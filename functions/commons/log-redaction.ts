/**
 * Log lines must never carry credentials: bearer tokens, JWTs, or presigned URLs (whose query
 * string is a usable signature). Errors are the usual carrier (an SDK or middleware error that
 * quotes a request), so every string of every log line is scrubbed, error messages and stacks
 * included.
 */
const RULES: readonly [RegExp, string][] = [
  // A presigned URL: keep where it pointed, drop the whole query string.
  [/(https?:\/\/[^\s"'?]+)\?[^\s"']*X-Amz-[^\s"']*/gi, '$1?[REDACTED]'],
  [/X-Amz-(Signature|Credential|Security-Token)=[^&\s"']+/gi, '[REDACTED]'],
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[REDACTED-JWT]'],
  [/\b(Bearer|Basic)\s+[^\s"',]+/gi, '$1 [REDACTED]'],
];

export function redactSecrets(text: string): string {
  let result = text;
  for (const [pattern, replacement] of RULES) result = result.replace(pattern, replacement);
  return result;
}

/** A JSON replacer for Powertools Logger (`jsonReplacerFn`): scrubs every string value. */
export const redactingReplacer = (_key: string, value: unknown): unknown =>
  typeof value === 'string' ? redactSecrets(value) : value;
