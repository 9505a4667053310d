import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_CHUNK_SIZE } from '../../src/domain/chunk-plan.ts';
import { type ApiClient, sha256Hex } from '../support/api-client.ts';
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import type { RunOptions, RunResult, SeenRequest } from './browser-page.ts';

/**
 * The browser entry point of the SDK, bundled for the browser and run in headless Chromium: the
 * page, the API and storage (LocalStack, path-style) are three origins, so every call crosses CORS as
 * it would in production (the API allows the page origin; the bucket's CORS exposes ETag).
 */
const SKIP_REASON = chromiumSkipReason('browser.test.ts');
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const SIZE = 3 * MIN_CHUNK_SIZE + 123_457; // 3 full chunks and a tail
const TOTAL_CHUNKS = 4;

let harness: Harness;
let api: ApiClient;
let pageServer: Server;
let pageOrigin: string;
let browser: Browser;
let page: Page;
const consoleLines: string[] = [];

/** The page and its script (the SDK bundled for the browser), one origin of their own. */
async function servePage(): Promise<{ server: Server; origin: string; inputs: string[] }> {
  const bundle = await build({
    entryPoints: ['test/e2e/browser-page.ts'],
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'browser', // a node: import anywhere in the graph fails the build
    format: 'esm',
    target: 'chrome120',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.contents ?? new Uint8Array();
  const html =
    '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>';
  const server = createServer((request, response) => {
    if (request.url === '/') response.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else if (request.url === '/page.js')
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
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

const run = (options: Omit<RunOptions, 'apiUrl' | 'token' | 'chunkSize'>): Promise<RunResult> =>
  page.evaluate((o) => window.uploadTest.run(o), {
    apiUrl: harness.url,
    token: api.token,
    chunkSize: MIN_CHUNK_SIZE,
    ...options,
  });

const storagePuts = (result: RunResult): SeenRequest[] =>
  result.requests.filter((r) => r.chunkNumber !== undefined);
const chunkNumbers = (result: RunResult): number[] =>
  storagePuts(result)
    .map((r) => r.chunkNumber as number)
    .sort((a, b) => a - b);
const diagnostics = () => consoleLines.join('\n') || 'no console output';
const pageErrors = () => consoleLines.filter((line) => line.startsWith('[pageerror]'));

describe.skipIf(SKIP_REASON !== '')(`the SDK in headless Chromium${SKIP_REASON}`, () => {
  let bundledInputs: string[] = [];

  beforeAll(async () => {
    const served = await servePage();
    pageServer = served.server;
    pageOrigin = served.origin;
    bundledInputs = served.inputs;
    harness = await startHarness({ CORS_ALLOWED_ORIGINS: pageOrigin });
    api = await harness.as('browser-user');
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('console', (m) => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    await page.goto(`${pageOrigin}/`);
    await page.waitForFunction(() => 'uploadTest' in window);
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    pageServer?.close();
  });

  it('bundles the browser entry point without the Node-only modules', () => {
    expect(bundledInputs).toContain('client/sdk/index.ts');
    expect(bundledInputs.filter((f) => /client\/sdk\/node/.test(f))).toEqual([]);
  });

  it('uploads a Blob made in the page across origins, with progress to 100%', async () => {
    // Prepare
    const sha = await page.evaluate(([n, s]) => window.uploadTest.makeFile(n, s), [
      'whole.bin',
      SIZE,
    ] as const);

    // Act
    const result = await run({ fileName: 'whole.bin', concurrency: 4 });

    // Assess
    expect(result.error, diagnostics()).toBeUndefined();
    const record = result.record as NonNullable<RunResult['record']>;
    expect(record).toMatchObject({ name: 'whole.bin', size: SIZE, status: 'uploaded' });
    const percents = result.progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(result.progress.at(-1)).toMatchObject({
      percent: 100,
      bytesUploaded: SIZE,
      chunksUploaded: TOTAL_CHUNKS,
      chunksSent: TOTAL_CHUNKS,
    });
    // Storage is neither the page's origin nor the API's, and its ETag was readable.
    const puts = storagePuts(result);
    expect(chunkNumbers(result)).toEqual([0, 1, 2, 3]);
    expect(puts.every((r) => r.status === 200 && r.etagVisible)).toBe(true);
    const origins = new Set(result.requests.map((r) => r.origin));
    expect(origins.has(pageOrigin)).toBe(false);
    expect(origins).toEqual(new Set([new URL(harness.url).origin, puts[0]?.origin]));
    expect(origins.size).toBe(2);
    expect(result.storedKeys).toEqual([]);
    expect(sha256Hex(await api.download(record.sessionId))).toBe(sha);
    expect(pageErrors()).toEqual([]);
  });

  it('pauses on abort and resumes the same File, sending only the missing chunks', async () => {
    // Prepare: one worker, so exactly chunk 0 is stored and recorded when the page aborts.
    const sha = await page.evaluate(([n, s]) => window.uploadTest.makeFile(n, s), [
      'paused.bin',
      SIZE,
    ] as const);

    // Act: pause after the first recorded chunk.
    const paused = await run({ fileName: 'paused.bin', concurrency: 1, pauseAfterChunks: 1 });

    // Assess: an AbortError naming the kept session, which localStorage remembers.
    expect(paused.error, diagnostics()).toMatchObject({ name: 'AbortError' });
    const sessionId = paused.error?.sessionId as string;
    expect(sessionId).toBeTruthy();
    expect(storagePuts(paused).map((r) => [r.chunkNumber, r.status])).toEqual([[0, 200]]);
    expect(paused.storedKeys).toHaveLength(1);
    const state = await api.request('POST', `/uploads/${sessionId}/resume`);
    expect(state.body.data.missingChunks).toEqual([1, 2, 3]);

    // Act again: the same File in the same page, so the same fingerprint.
    const resumed = await run({ fileName: 'paused.bin', concurrency: 3 });

    // Assess: the stored session was resumed and only the missing chunks went to storage.
    expect(resumed.error, diagnostics()).toBeUndefined();
    expect(resumed.session).toEqual({
      sessionId,
      resumed: true,
      totalChunks: TOTAL_CHUNKS,
      missingChunks: 3,
    });
    expect(chunkNumbers(resumed)).toEqual([1, 2, 3]);
    expect(storagePuts(resumed).every((r) => r.status === 200 && r.etagVisible)).toBe(true);
    expect(resumed.progress[0]).toMatchObject({ bytesUploaded: MIN_CHUNK_SIZE, chunksUploaded: 1 });
    expect(resumed.progress.at(-1)).toMatchObject({ percent: 100, chunksSent: 3 });
    expect(resumed.record).toMatchObject({ sessionId, size: SIZE, status: 'uploaded' });
    expect(resumed.storedKeys).toEqual([]);
    expect(sha256Hex(await api.download(sessionId))).toBe(sha);
    expect(pageErrors()).toEqual([]);
  });
});
