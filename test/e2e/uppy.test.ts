import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Uppy } from '@uppy/core';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UppyCompleted } from '../../client/sdk/uppy.ts';
import { MIB } from '../../src/domain/chunk-plan.ts';
import type { ApiClient } from '../support/api-client.ts';
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * The Uppy example (client/examples/uppy: Dashboard + @uppy/aws-s3 on the adapter), bundled with
 * esbuild and run in headless Chromium as browser.test.ts runs the SDK: the page, the API and
 * storage (LocalStack) are three origins. Files go in through the Dashboard's own file input and
 * its Upload button; parts are PUT by Uppy's XMLHttpRequest, seen here through Playwright.
 */
const SKIP_REASON = chromiumSkipReason('uppy.test.ts');
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const example = 'client/examples/uppy';
const SCREENSHOT = 'test/e2e/screenshots/uppy.png';
const PART = 5 * MIB;

/** A part PUT the page sent to storage, as Chromium sent it. */
interface PartPut {
  readonly uploadId: string;
  readonly partNumber: number;
  readonly checksum: string | undefined;
  readonly signedHeaders: string[];
  readonly status: number;
  readonly etagVisible: boolean;
}

/** What the page's Uppy reported when the upload finished. */
interface Outcome {
  readonly successful: { name: string; uploadURL?: string; body: UppyCompleted }[];
  readonly failed: { name: string; error: string }[];
}

declare global {
  interface Window {
    uppy: Uppy;
    uppyOutcome?: Outcome;
  }
}

let harness: Harness;
let api: ApiClient;
let pageServer: Server;
let pageOrigin: string;
let browser: Browser;
let page: Page;
const consoleLines: string[] = [];
const partPuts: PartPut[] = [];
const apiCalls: string[] = [];
/** The request handlers still reading a request's headers. */
const reading: Promise<void>[] = [];

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');
const diagnostics = () => consoleLines.join('\n') || 'no console output';

/** The example page and its bundle (main.js and main.css), on an origin of their own. */
async function servePage(): Promise<{ server: Server; origin: string; inputs: string[] }> {
  const bundle = await build({
    entryPoints: [`${example}/main.ts`],
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'browser', // a node: import anywhere in the graph fails the build
    format: 'esm',
    target: 'chrome120',
    outdir: 'out', // not written: names main.js and main.css
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const assets = new Map<string, { type: string; body: Uint8Array | string }>([
    ['/', { type: 'text/html', body: await readFile(`${repoRoot}${example}/index.html`, 'utf8') }],
  ]);
  for (const file of bundle.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf('/'));
    const type = name.endsWith('.css') ? 'text/css' : 'text/javascript';
    assets.set(name, { type, body: file.contents });
  }
  const server = createServer((request, response) => {
    const asset = assets.get((request.url ?? '/').split('?')[0] as string);
    if (asset) response.writeHead(200, { 'content-type': asset.type }).end(asset.body);
    else response.writeHead(request.url === '/favicon.ico' ? 204 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    inputs: Object.keys(bundle.metafile.inputs),
  };
}

/** Records every part PUT (with the headers Chromium really sent) and every API call. */
function watchRequests(target: Page, apiOrigin: string): void {
  target.on('requestfinished', (request) => {
    const url = new URL(request.url());
    if (url.origin === apiOrigin) {
      apiCalls.push(`${request.method()} ${url.pathname}`);
      return;
    }
    const partNumber = url.searchParams.get('partNumber');
    if (request.method() !== 'PUT' || !partNumber) return;
    const read = async () => {
      const headers = await request.allHeaders();
      const response = await request.response();
      partPuts.push({
        uploadId: url.searchParams.get('uploadId') ?? '',
        partNumber: Number(partNumber),
        checksum: headers['x-amz-checksum-sha256'],
        signedHeaders: (url.searchParams.get('X-Amz-SignedHeaders') ?? '').split(';'),
        status: response?.status() ?? 0,
        etagVisible: (await response?.headerValue('etag')) != null,
      });
    };
    reading.push(read());
  });
}

async function storedObject(key: string): Promise<Uint8Array> {
  const object = await harness.s3.send(new GetObjectCommand({ Bucket: harness.bucket, Key: key }));
  return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
}

describe.skipIf(SKIP_REASON !== '')(
  `Uppy's Dashboard on the adapter in headless Chromium${SKIP_REASON}`,
  () => {
    let bundledInputs: string[] = [];

    beforeAll(async () => {
      const served = await servePage();
      pageServer = served.server;
      pageOrigin = served.origin;
      bundledInputs = served.inputs;
      harness = await startHarness({ CORS_ALLOWED_ORIGINS: pageOrigin });
      api = await harness.as('uppy-user');
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 900, height: 720 } });
      page.on('console', (m) => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
      page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
      watchRequests(page, new URL(harness.url).origin);
      const fragment = new URLSearchParams({ apiUrl: harness.url, token: api.token });
      await page.goto(`${pageOrigin}/#${fragment}`);
      await page.waitForFunction(() => 'uppy' in window);
    });

    afterAll(async () => {
      await browser?.close();
      await harness?.close();
      pageServer?.close();
    });

    it('bundles the adapter without Node-only modules or the main SDK entry', () => {
      expect(bundledInputs).toContain('client/sdk/uppy.ts');
      expect(bundledInputs.filter((f) => /client\/sdk\/(node|index)/.test(f))).toEqual([]);
    });

    it('uploads a multi-part and a small file from the Dashboard, each part bound to its SHA-256', async () => {
      // Prepare: two files given to the Dashboard's own file input.
      const big = new Uint8Array(randomBytes(12 * MIB));
      const small = new Uint8Array(randomBytes(70_001));
      await page
        .locator('input.uppy-Dashboard-input[name="files[]"]')
        .first()
        .setInputFiles([
          { name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(big) },
          { name: 'small.txt', mimeType: 'text/plain', buffer: Buffer.from(small) },
        ]);
      await page.waitForFunction(() => window.uppy.getFiles().length === 2);
      await page.evaluate(() => {
        window.uppy.once('complete', (result) => {
          window.uppyOutcome = {
            successful: (result.successful ?? []).map((f) => ({
              name: f.name,
              uploadURL: f.uploadURL,
              body: f.response?.body as unknown as UppyCompleted,
            })),
            failed: (result.failed ?? []).map((f) => ({ name: f.name, error: String(f.error) })),
          };
        });
      });

      // Act: the Dashboard's Upload button; wait for Uppy's `complete`.
      await page.locator('.uppy-StatusBar-actionBtn--upload').click();
      await page.waitForFunction(() => window.uppyOutcome !== undefined, undefined, {
        timeout: 120_000,
      });
      const outcome = (await page.evaluate(() => window.uppyOutcome)) as Outcome;
      await Promise.all(reading);

      // Assess: Uppy reports both uploaded, with the adapter's answer.
      expect(outcome.failed, diagnostics()).toEqual([]);
      const byName = new Map(outcome.successful.map((f) => [f.name, f]));
      expect([...byName.keys()].sort()).toEqual(['big.bin', 'small.txt']);
      for (const [name, source] of [
        ['big.bin', big],
        ['small.txt', small],
      ] as const) {
        const done = byName.get(name)?.body as UppyCompleted;
        expect(done.file).toMatchObject({ name, size: source.length, status: 'uploaded' });
        // The uploadURL Uppy shows is the presigned download link of the finished file.
        expect(byName.get(name)?.uploadURL).toBe(done.location);
        expect(done.location).toMatch(/^http.*X-Amz-Signature=/);
        // Storage holds exactly the source's bytes, and the session is finished.
        expect(sha256(await storedObject(done.key))).toBe(sha256(source));
        const session = await api.request('GET', `/uploads/${done.sessionId}`);
        expect(session.body.data).toMatchObject({ status: 'uploaded', chunkSize: PART });
      }

      // Every part PUT carried its own SHA-256, signed into its URL with its length: three parts
      // of big.bin (5, 5 and 2 MiB) and the one part of small.txt.
      const bigDone = byName.get('big.bin')?.body as UppyCompleted;
      const smallDone = byName.get('small.txt')?.body as UppyCompleted;
      expect(partPuts.every((p) => p.status === 200 && p.etagVisible)).toBe(true);
      expect(partPuts).toHaveLength(4);
      for (const put of partPuts) {
        expect(put.signedHeaders).toEqual(
          expect.arrayContaining(['content-length', 'x-amz-checksum-sha256']),
        );
      }
      const expected = new Set([
        ...[0, 1, 2].map((n) => sha256(big.subarray(n * PART, (n + 1) * PART))),
        sha256(small),
      ]);
      expect(new Set(partPuts.map((p) => p.checksum))).toEqual(expected);
      expect(partPuts.filter((p) => p.partNumber === 1)).toHaveLength(2);
      expect(partPuts.map((p) => p.partNumber).sort()).toEqual([1, 1, 2, 3]);

      // Parts were recorded through the batch route, then each session completed once.
      const recordCalls = (id: string) =>
        apiCalls.filter((c) => c === `PUT /api/v1/uploads/${id}/chunks`);
      expect(recordCalls(bigDone.sessionId).length).toBeGreaterThan(0);
      expect(recordCalls(smallDone.sessionId).length).toBeGreaterThan(0);
      expect(apiCalls.filter((c) => c.endsWith('/complete'))).toHaveLength(2);
      expect(consoleLines.filter((l) => /pageerror|console\.error/.test(l))).toEqual([]);

      // The Dashboard shows both done.
      await page.locator('.uppy-StatusBar.is-complete').waitFor();
      await mkdir(`${repoRoot}test/e2e/screenshots`, { recursive: true });
      await page.screenshot({ path: `${repoRoot}${SCREENSHOT}`, fullPage: true });
    });

    it("pauses mid-upload and resumes through Uppy's listParts, which asks the ledger", async () => {
      // Prepare: a fresh Dashboard with one 12 MiB file; pause as soon as part 1 is stored, and
      // resume as soon as Uppy says it paused.
      await page.evaluate(() => window.uppy.clear());
      partPuts.length = 0;
      apiCalls.length = 0;
      const source = new Uint8Array(randomBytes(12 * MIB));
      await page
        .locator('input.uppy-Dashboard-input[name="files[]"]')
        .first()
        .setInputFiles([
          { name: 'paused.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(source) },
        ]);
      await page.waitForFunction(() => window.uppy.getFiles().length === 1);
      await page.evaluate(() => {
        const uppy = window.uppy;
        window.uppyOutcome = undefined;
        let paused = false;
        uppy.on('s3-multipart:part-uploaded', (file, part) => {
          if (paused || part.PartNumber !== 1 || !file) return;
          paused = true;
          uppy.pauseResume(file.id);
        });
        uppy.on('upload-pause', (file, isPaused) => {
          if (isPaused && file) queueMicrotask(() => uppy.pauseResume(file.id));
        });
        uppy.once('complete', (result) => {
          window.uppyOutcome = {
            successful: (result.successful ?? []).map((f) => ({
              name: f.name,
              body: f.response?.body as unknown as UppyCompleted,
            })),
            failed: (result.failed ?? []).map((f) => ({ name: f.name, error: String(f.error) })),
          };
        });
      });

      // Act
      await page.locator('.uppy-StatusBar-actionBtn--upload').click();
      await page.waitForFunction(() => window.uppyOutcome !== undefined, undefined, {
        timeout: 120_000,
      });
      const outcome = (await page.evaluate(() => window.uppyOutcome)) as Outcome;
      await Promise.all(reading);

      // Assess: Uppy asked the ledger what was there (POST /resume), part 1 was sent only once,
      // and the file in storage is the source.
      expect(outcome.failed, diagnostics()).toEqual([]);
      const done = outcome.successful[0]?.body as UppyCompleted;
      expect(apiCalls).toContain(`POST /api/v1/uploads/${done.sessionId}/resume`);
      expect(partPuts.filter((p) => p.partNumber === 1 && p.status === 200)).toHaveLength(1);
      expect(sha256(await storedObject(done.key))).toBe(sha256(source));
      const session = await api.request('GET', `/uploads/${done.sessionId}`);
      expect(session.body.data).toMatchObject({ status: 'uploaded', chunksUploaded: 3 });
      expect(consoleLines.filter((l) => /pageerror/.test(l))).toEqual([]);
    });
  },
);
