/**
 * The client package's version, in every form the CLI runs in:
 * - bundled by `build.ts` (esbuild): injected at build time as `__UPLOAD_API_VERSION__`;
 * - built by tsc (`dist/cli/version.js`) or run from source (`cli/version.ts`): read from the
 *   package's package.json next to the module (`../../package.json` from `dist/cli/`,
 *   `../package.json` from `cli/`).
 */
import { readFileSync } from 'node:fs';

declare const __UPLOAD_API_VERSION__: string | undefined;

/** The name in client/package.json: the file that holds the version we mean. */
export const PACKAGE_NAME = '@upload-api/client';

const CANDIDATES = ['../package.json', '../../package.json'];

let cached: string | undefined;

export function version(): string {
  if (typeof __UPLOAD_API_VERSION__ === 'string') return __UPLOAD_API_VERSION__;
  cached ??= readVersion(import.meta.url) ?? 'unknown';
  return cached;
}

/** The version in the first package.json near `moduleUrl` that belongs to the client package. */
export function readVersion(moduleUrl: string | URL): string | undefined {
  for (const candidate of CANDIDATES) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(candidate, moduleUrl), 'utf8'));
      if (manifest?.name === PACKAGE_NAME && typeof manifest.version === 'string')
        return manifest.version;
    } catch {
      // not there (or not readable): try the next place
    }
  }
  return undefined;
}
