/**
 * The upload page (web/, served at `/` by the local server through local/web.ts) in headless
 * Chromium, against the real local API and storage, as a user would use it: three files picked
 * at once (one of 64 MiB), two refused with their human messages, one paused and resumed, the
 * page reloaded mid-upload and the file finished after it is selected again (only the missing
 * chunks are sent), a finished file downloaded and another deleted from the sessions list; the
 * stored bytes are checked against the sources. Also `/docs` (Swagger UI over /openapi.json), the
 * keyboard path to the pickers, accessible names and the page at 375 px. Storage PUTs pass through
 * a gate (Playwright routing) so the test decides when chunks go, with no sleeps.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, sha256Hex } from '../support/api-client.ts';
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { isChunkPut, RouteGate } from '../support/route-gate.ts';

const SKIP_REASON = chromiumSkipReason('upload-page.test.ts');
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const MIB = 1024 * 1024;
const CHUNK = 5 * MIB; // the server's default chunk size, which the page uses
const BIG_CHUNKS = 13; // 64 MiB in 5 MiB chunks
const MAX_FILE_SIZE = 96 * MIB;

interface Source {
  readonly name: string;
  readonly path: string;
  readonly sha256: string;
}

let harness: Harness;
let api: ApiClient;
let browser: Browser;
let page: Page;
let dir: string;
const sources = new Map<string, Source>();
const consoleLines: string[] = [];

const gate = new RouteGate();
type Phase = 'beforeReload' | 'afterReload';
/** Chunks (0-based) whose PUT storage answered 200, per multipart upload, per phase of the test. */
const storedParts: Record<Phase, Map<string, Set<number>>> = {
  beforeReload: new Map(),
  afterReload: new Map(),
};
let phase: Phase = 'beforeReload';
const partsOf = (p: Phase, uploadId: string): Set<number> =>
  storedParts[p].get(uploadId) ?? new Set();
const SLOW = { timeout: 180_000 };
/** How long page state may take to change (the 64 MiB file is hashed chunk by chunk). */
const WAIT = { timeout: 60_000, interval: 50 };

const diagnostics = () => consoleLines.join('\n') || 'no console output';
const pageErrors = () => consoleLines.filter((line) => line.startsWith('[pageerror]'));

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `upload-page-${name}.png`), fullPage: true });
}

/** A source file on disk: the page picks it with its real name, size and modification time. */
async function makeSource(name: string, bytes: Uint8Array): Promise<Source> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const source = { name, path, sha256: sha256Hex(bytes) };
  sources.set(name, source);
  return source;
}

const source = (name: string): Source => {
  const found = sources.get(name);
  if (!found) throw new Error(`no source ${name}`);
  return found;
};

const uploadRow = (name: string) => page.locator(`#upload-list li[data-name="${name}"]`);
const sessionRow = (name: string) => page.locator(`#session-rows tr[data-name="${name}"]`);

async function waitForState(name: string, state: string): Promise<void> {
  await page.locator(`#upload-list li[data-name="${name}"][data-state="${state}"]`).waitFor();
}

const percentOf = async (name: string) =>
  Number((await uploadRow(name).getAttribute('data-percent')) ?? 0);

/** The stored object of the user's session of `name`, hashed. */
async function storedSha256(name: string): Promise<{ key: string; sha256: string }> {
  const list = await api.request('GET', '/uploads?status=all&limit=100');
  const session = (
    list.body.data.items as { fileName: string; key: string; status: string }[]
  ).find((s) => s.fileName === name && s.status === 'uploaded');
  if (!session) throw new Error(`no uploaded session of ${name}`);
  const object = await harness.s3.send(
    new GetObjectCommand({ Bucket: harness.bucket, Key: session.key }),
  );
  const bytes = await (
    object.Body as { transformToByteArray(): Promise<Uint8Array> }
  ).transformToByteArray();
  return { key: session.key, sha256: sha256Hex(bytes) };
}

describe.skipIf(SKIP_REASON !== '')(`the upload page in headless Chromium${SKIP_REASON}`, () => {
  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'upload-page-'));
    await makeSource('notes.txt', new TextEncoder().encode('a line of notes\n'.repeat(20_000)));
    await makeSource('medium.bin', randomBytes(2 * CHUNK + 777_777));
    await makeSource('big.bin', randomBytes(64 * MIB));
    await makeSource('photo.png', randomBytes(2048));
    const huge = join(dir, 'huge.bin'); // sparse: only its size matters, the server refuses it
    await writeFile(huge, '');
    await truncate(huge, MAX_FILE_SIZE + MIB);
    sources.set('huge.bin', { name: 'huge.bin', path: huge, sha256: '' });

    // The page and the API share the server's origin; storage is another origin, whose CORS the
    // harness bucket allows (local/bootstrap.ts), as browser.test.ts relies on.
    harness = await startHarness(
      {
        MAX_FILE_SIZE: String(MAX_FILE_SIZE),
        ALLOWED_CONTENT_TYPES: 'application/octet-stream,text/plain',
      },
      { live: true },
    );
    api = await harness.as('page-user');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('console', (m) => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    page.on('dialog', (dialog) => void dialog.accept());
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (response.request().method() !== 'PUT' || !isChunkPut(url) || response.status() !== 200)
        return;
      const uploadId = url.searchParams.get('uploadId') as string;
      const parts = storedParts[phase].get(uploadId) ?? new Set<number>();
      parts.add(Number(url.searchParams.get('partNumber')) - 1);
      storedParts[phase].set(uploadId, parts);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('opens with the token from the link, keeps it out of the address bar, and is keyboard operable', async () => {
    // Act
    await page.goto(`${harness.url}/?token=${encodeURIComponent(api.token)}`);
    await page.locator('body[data-loaded="true"]').waitFor();

    // Assess: the token field holds it, the address bar does not.
    expect(new URL(page.url()).search).toBe('');
    expect(await page.getByLabel('Access token').inputValue()).toBe(api.token);
    expect(await page.locator('#signin-state').textContent()).toContain('page-user');

    // Act: Tab through the page from the top.
    const reached: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      reached.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          return el.id || el.getAttribute('aria-label') || el.textContent?.trim() || el.tagName;
        }),
      );
    }

    // Assess: the token field, its button and both pickers are reachable, focus is visible.
    expect(reached).toEqual(expect.arrayContaining(['token', 'Use this token', 'files', 'folder']));
    await page.locator('#files').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as Element).outlineStyle,
    );
    expect(outline).not.toBe('none');
    await screenshot('1-start');
  });

  it('uploads two files and shows each refused file with its message', SLOW, async () => {
    // Act: four files at once; storage PUTs pass freely.
    await page
      .getByLabel('Files', { exact: true })
      .setInputFiles(
        ['notes.txt', 'medium.bin', 'photo.png', 'huge.bin'].map((n) => source(n).path),
      );

    // Assess
    await waitForState('notes.txt', 'succeeded');
    await waitForState('medium.bin', 'succeeded');
    await waitForState('photo.png', 'rejected');
    await waitForState('huge.bin', 'rejected');
    expect(await uploadRow('photo.png').locator('.error').textContent()).toBe(
      'Files of this type are not accepted by this server. (UNSUPPORTED_CONTENT_TYPE)',
    );
    expect(await uploadRow('huge.bin').locator('.error').textContent()).toBe(
      'The file is larger than this server accepts (at most 96.0 MiB). (FILE_TOO_LARGE)',
    );
    expect(
      await uploadRow('medium.bin')
        .locator('progress')
        .evaluate((p) => (p as HTMLProgressElement).value),
    ).toBe(100);
    await sessionRow('medium.bin').and(page.locator('[data-status="uploaded"]')).waitFor();
    await screenshot('2-uploaded-and-refused');
    expect(pageErrors(), diagnostics()).toEqual([]);
  });

  it(
    'pauses and resumes a 64 MiB file, with live progress in the sessions list',
    SLOW,
    async () => {
      // Prepare: storage takes chunks only when the test says so (routing slows PUTs: only here).
      gate.hold();
      await page.route((url) => isChunkPut(url), gate.handle);

      // Act: pick it; let 3 chunks through.
      await page.getByLabel('Files', { exact: true }).setInputFiles(source('big.bin').path);
      await expect.poll(() => gate.waitingCount, WAIT).toBeGreaterThan(0);
      gate.allow(3);
      await expect
        .poll(() => percentOf('big.bin'), WAIT)
        .toBeGreaterThanOrEqual(Math.floor((300 * CHUNK) / (64 * MIB)));

      // Assess: the sessions list follows the session live over the WebSocket.
      const listed = sessionRow('big.bin');
      await expect.poll(() => listed.getAttribute('data-mode'), WAIT).toBe('socket');
      await expect
        .poll(
          async () => Number((await listed.locator('.percent').textContent())?.replace('%', '')),
          WAIT,
        )
        .toBeGreaterThan(0);

      // Act: pause.
      await page.getByRole('button', { name: 'Pause big.bin' }).click();

      // Assess
      await waitForState('big.bin', 'paused');
      await expect
        .poll(() => page.locator('#announcer').textContent(), WAIT)
        .toContain('big.bin paused');
      await screenshot('3-paused');

      // Act: resume (the PUTs the pause aborted are let go first), 2 more chunks through.
      gate.flush();
      await page.getByRole('button', { name: 'Resume big.bin' }).click();
      await expect.poll(() => gate.waitingCount, WAIT).toBeGreaterThan(0);
      gate.allow(2);

      // Assess
      await expect
        .poll(() => percentOf('big.bin'), WAIT)
        .toBeGreaterThanOrEqual(Math.floor((500 * CHUNK) / (64 * MIB)));
      expect(await uploadRow('big.bin').getAttribute('data-state')).toBe('running');
    },
  );

  it(
    'finishes the file after a reload once it is selected again, sending only the missing chunks',
    SLOW,
    async () => {
      // Act: reload mid-upload (chunks still held), then let storage take everything.
      await page.reload();
      phase = 'afterReload';
      gate.open();
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await page.locator('body[data-loaded="true"]').waitFor();

      // Assess: the page knows the unfinished upload and asks for the file again.
      const unfinished = page.locator('#unfinished-list li[data-name="big.bin"]');
      await unfinished.waitFor();
      expect(await page.locator('#unfinished').textContent()).toContain('select each file again');
      await expect
        .poll(() => unfinished.locator('.status').textContent(), WAIT)
        .toMatch(/of 64\.0 MiB stored/);
      await screenshot('4-after-reload');

      // Act: select the same file again.
      await page.getByLabel('Select big.bin again to resume').setInputFiles(source('big.bin').path);

      // Assess: resumed, finished, and storage got only what it lacked.
      await waitForState('big.bin', 'succeeded');
      expect(await uploadRow('big.bin').locator('.note').textContent()).toMatch(
        /^Resuming: \d+ of 13 parts were already stored/,
      );
      expect(await page.locator('#unfinished').isHidden()).toBe(true);
      expect([...storedParts.afterReload.keys()]).toHaveLength(1); // big.bin's, the same upload
      const uploadId = [...storedParts.afterReload.keys()][0] as string;
      const before = partsOf('beforeReload', uploadId);
      const after = partsOf('afterReload', uploadId);
      expect(before.size).toBeGreaterThanOrEqual(5);
      expect([...after].filter((n) => before.has(n))).toEqual([]);
      expect(after.size).toBeLessThanOrEqual(BIG_CHUNKS - 5);
      const all = new Set([...before, ...after]);
      expect(Array.from({ length: BIG_CHUNKS }, (_, n) => all.has(n))).not.toContain(false);
      await sessionRow('big.bin').and(page.locator('[data-status="uploaded"]')).waitFor();
      expect((await storedSha256('big.bin')).sha256).toBe(source('big.bin').sha256);
      expect(pageErrors(), diagnostics()).toEqual([]);
    },
  );

  it('stores exactly the bytes picked, downloads one file and deletes another from the list', async () => {
    // Assess: the objects in storage are the sources, byte for byte.
    for (const name of ['notes.txt', 'medium.bin'])
      expect((await storedSha256(name)).sha256, name).toBe(source(name).sha256);
    const notes = await storedSha256('notes.txt');

    // Act: a download link for medium.bin.
    await page.getByRole('button', { name: 'Download medium.bin' }).click();
    const link = page.getByRole('link', { name: 'Open medium.bin' });
    const href = (await link.getAttribute('href')) as string;

    // Assess: it serves the file.
    const downloaded = new Uint8Array(await (await fetch(href)).arrayBuffer());
    expect(sha256Hex(downloaded)).toBe(source('medium.bin').sha256);

    // Act: delete notes.txt (the page asks first; the test accepts).
    await page.getByRole('button', { name: 'Delete notes.txt' }).click();

    // Assess
    await sessionRow('notes.txt').and(page.locator('[data-status="deleted"]')).waitFor();
    await expect(
      harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: notes.key })),
    ).rejects.toMatchObject({ name: 'NotFound' });
    await screenshot('5-sessions');
  });

  it('uploads a dropped file, and cancels an upload from its row', SLOW, async () => {
    // Act: drop a file made in the page on the drop zone.
    const text = 'dropped\n'.repeat(1000);
    await page.evaluate((content) => {
      const data = new DataTransfer();
      data.items.add(new File([content], 'dropped.txt', { type: 'text/plain' }));
      const zone = document.getElementById('dropzone') as HTMLElement;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, cancelable: true }));
    }, text);

    // Assess
    await waitForState('dropped.txt', 'succeeded');
    expect((await storedSha256('dropped.txt')).sha256).toBe(
      sha256Hex(new TextEncoder().encode(text)),
    );

    // Prepare: a file whose chunks storage holds back.
    await makeSource('cancel-me.bin', randomBytes(CHUNK + 1000));
    gate.hold();
    await page.route((url) => isChunkPut(url), gate.handle);

    // Act: pick it, and cancel it once it has a session.
    await page.getByLabel('Files', { exact: true }).setInputFiles(source('cancel-me.bin').path);
    await expect.poll(() => gate.waitingCount, WAIT).toBeGreaterThan(0);
    await sessionRow('cancel-me.bin').waitFor();
    await page.getByRole('button', { name: 'Cancel cancel-me.bin' }).click();

    // Assess: the task, the sessions list and the server agree.
    await waitForState('cancel-me.bin', 'cancelled');
    await sessionRow('cancel-me.bin').and(page.locator('[data-status="cancelled"]')).waitFor();
    const id = (await sessionRow('cancel-me.bin').getAttribute('data-session-id')) as string;
    expect((await api.request('GET', `/uploads/${id}`)).body.data.status).toBe('cancelled');
    gate.open();
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    expect(pageErrors(), diagnostics()).toEqual([]);
  });

  it('labels every control and fits a 375 px wide screen', async () => {
    // Act
    const unnamed = await page.evaluate(() =>
      Array.from(document.querySelectorAll('button, input, select, progress, a'))
        .filter((el) => !(el as HTMLElement).hidden && (el as HTMLElement).offsetParent !== null)
        .filter((el) => {
          const labelled =
            (el as HTMLInputElement).labels?.length ||
            el.getAttribute('aria-label') ||
            el.getAttribute('aria-labelledby') ||
            el.textContent?.trim();
          return !labelled;
        })
        .map((el) => el.outerHTML.slice(0, 120)),
    );
    await page.setViewportSize({ width: 375, height: 800 });

    // Assess
    expect(unnamed).toEqual([]);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot('6-375px');
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it('serves the interactive API reference at /docs', async () => {
    // Act
    await page.goto(`${harness.url}/docs`);

    // Assess: Swagger UI read /openapi.json and lists the operations.
    await page
      .locator('.opblock-summary-path', { hasText: '/api/v1/uploads/initiate' })
      .first()
      .waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(10);
    await screenshot('7-docs');
  });
});
