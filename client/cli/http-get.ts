import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * A plain node:http(s) GET. Used for large downloads instead of fetch: when a server drops the
 * connection mid-body, node:http reports an error on the stream, where Node's fetch can crash the
 * process with an internal assertion.
 */
export function httpGet(url: string, signal: AbortSignal): Promise<IncomingMessage> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(target, { method: 'GET', signal }, resolve);
    req.once('error', reject);
    req.end();
  });
}
