/**
 * The SDK's `watch` in headless Chromium, with the browser's own WebSocket (the token in the
 * query, as browsers must), following an upload that another client makes: the test process,
 * with the SDK in Node. Each chunk PUT of that upload waits until the page has shown the one
 * before, so every step reaches the page, with no sleeps. The page, the API and storage are
 * three origins, as in browser.test.ts (whose page script, browser-page.ts, this one shares).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpload } from '../../client/sdk/index.ts';
import { MIN_CHUNK_SIZE } from '../../src/domain/chunk-plan.ts';
import type { ApiClient } from '../support/api-client.ts';
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { PutGate } from '../support/put-gate.ts';
import type { WatchOutcome } from './browser-page.ts';

const SKIP_REASON = chromiumSkipReason('browser-watch.test.ts');
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOT = fileURLToPath(new URL('./screenshots/watch.png', import.meta.url));
const CHUNKS = 4;
const SIZE = (CHUNKS - 1) * MIN_CHUNK_SIZE + 123_457; // 3 full chunks and a tail

let harness: Harness;
let api: ApiClient;
let pageServer: Server;
let browser: Browser;
let page: Page;
const consoleLines: string[] = [];

/** The page and its script (the SDK bundled for the browser), one origin of their own. */
async function servePage(): Promise<{ server: Server; origin: string }> {
  const bundle = await build({
    entryPoints: ['test/e2e/browser-page.ts'],
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'browser', // a node: import anywhere in the graph fails the build
    format: 'esm',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.contents ?? new Uint8Array();
  const html =
    '<!doctype html><meta charset="utf-8"><title>watch</title>' +
    '<script type="module" src="/page.js"></script>';
  const server = createServer((request, response) => {
    if (request.url === '/') response.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else if (request.url === '/page.js')
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else response.writeHead(request.url === '/favicon.ico' ? 204 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

const diagnostics = () => consoleLines.join('\n') || 'no console output';

describe.skipIf(SKIP_REASON !== '')(`watch in headless Chromium${SKIP_REASON}`, () => {
  beforeAll(async () => {
    const served = await servePage();
    pageServer = served.server;
    harness = await startHarness({ CORS_ALLOWED_ORIGINS: served.origin }, { live: true });
    api = await harness.as('browser-watch-user');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 800, height: 300 } });
    page.on('console', (m) => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    await page.goto(`${served.origin}/`);
    await page.waitForFunction(() => 'watchTest' in window);
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    pageServer?.close();
  });

  it("sees another client's upload over its own WebSocket, chunk by chunk, to uploaded", async () => {
    // Prepare: the test process uploads with the SDK in Node, each chunk PUT held at the gate.
    const gate = new PutGate();
    const task = createUpload(new Blob([randomBytes(SIZE)]), {
      apiUrl: harness.url,
      token: api.token,
      fileName: 'watched-in-browser.bin',
      chunkSize: MIN_CHUNK_SIZE,
      concurrency: 1,
      storageFetch: gate.storageFetch,
      // Each chunk recorded as soon as it is stored (the SDK batches records by default).
      recordBatch: { size: 1 },
    });
    const sessionId = await new Promise<string>((resolve, reject) => {
      task.on('session', (session) => resolve(session.sessionId));
      void task.done.then((outcome) => reject(new Error(`the upload ended ${outcome.state}`)));
    });

    // Act: the page watches from its snapshot on; each chunk goes once the page showed the last.
    const first = await page.evaluate((o) => window.watchTest.startWatch(o), {
      apiUrl: harness.url,
      token: api.token,
      sessionId,
    });
    expect(first, diagnostics()).toMatchObject({
      mode: 'socket',
      progress: { sessionId, uploadedBytes: 0 },
    });
    for (let chunk = 1; chunk < CHUNKS; chunk++) {
      gate.open();
      await page.waitForFunction(
        (bytes) => window.watchTest.watchSeen().some((s) => s.progress.uploadedBytes >= bytes),
        chunk * MIN_CHUNK_SIZE,
      );
    }
    gate.open(); // the last chunk: the upload completes
    const outcome: WatchOutcome = await page.evaluate(() => window.watchTest.watchOutcome());
    const uploaded = await task.done;
    await mkdir(fileURLToPath(new URL('./screenshots/', import.meta.url)), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    // Assess: every message came over the socket, bytes only growing, to the final status.
    expect(uploaded.state).toBe('succeeded');
    expect(outcome.reason, diagnostics()).toBe('final');
    expect(outcome.modes).toEqual(['socket']);
    expect(outcome.seen.every((s) => s.mode === 'socket')).toBe(true);
    const bytes = outcome.seen.map((s) => s.progress.uploadedBytes);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
    const steps = Array.from({ length: CHUNKS }, (_, i) => i * MIN_CHUNK_SIZE);
    expect([...new Set(bytes)]).toEqual(expect.arrayContaining([...steps, SIZE]));
    expect(outcome.seen.at(-1)?.progress).toMatchObject({
      sessionId,
      status: 'uploaded',
      uploadedBytes: SIZE,
      totalSize: SIZE,
      chunksUploaded: CHUNKS,
    });
    expect(await page.textContent('#watch p')).toMatch(
      /^15\.1 MiB \/ 15\.1 MiB \(100\.0%\), 4\/4 chunks, uploaded, via WebSocket$/,
    );
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(consoleLines.filter((line) => line.startsWith('[pageerror]'))).toEqual([]);
  });
});
