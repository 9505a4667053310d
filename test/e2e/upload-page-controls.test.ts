/**
 * The upload page's other controls in headless Chromium, against the real local API and storage:
 * a picked folder (with a subfolder) and dropped files and folders, uploaded under their paths;
 * Pause all / Resume all / Cancel all over several uploads held in flight; the sessions list
 * following another client's upload by polling when the live socket cannot connect; and the main
 * controls reached with Tab and used with Enter and Space. Storage PUTs pass through a gate
 * (Playwright routing) so the test decides when chunks go, with no sleeps.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
} from '@aws-sdk/client-s3';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, chunksOf, sha256Hex } from '../support/api-client.ts';
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { isChunkPut, RouteGate } from '../support/route-gate.ts';

const SKIP_REASON = chromiumSkipReason('upload-page-controls.test.ts');
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const MIB = 1024 * 1024;
const CHUNK = 5 * MIB; // the server's default chunk size, which the page uses
const WAIT = { timeout: 30_000, interval: 50 };

let harness: Harness;
let api: ApiClient;
let browser: Browser;
let page: Page;
let dir: string;
/** SHA-256 of each source, by the name its upload gets. */
const sources = new Map<string, string>();
const consoleLines: string[] = [];
/** Chunk PUTs the page sent, and how many of them have ended (answered or failed). */
const puts = { sent: 0, ended: 0 };
/** The page's attempts at the live socket: whether each failed, and whether it carried frames. */
const sockets: { failed: boolean; frames: number }[] = [];

const gate = new RouteGate();

async function holdStorage(): Promise<void> {
  gate.hold();
  await page.route(isChunkPut, gate.handle);
}

async function releaseStorage(): Promise<void> {
  gate.open();
  await page.unrouteAll({ behavior: 'ignoreErrors' });
}

const diagnostics = () => consoleLines.join('\n') || 'no console output';
const pageErrors = () => consoleLines.filter((line) => line.startsWith('[pageerror]'));

async function screenshot(name: string): Promise<void> {
  await page.screenshot({
    path: join(SCREENSHOTS, `upload-page-controls-${name}.png`),
    fullPage: true,
  });
}

/** A source file at `name` (a path under the test's folder), which is also its upload name. */
async function makeFile(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  sources.set(name, sha256Hex(bytes));
  return path;
}

const sourceSha = (name: string): string => {
  const sha = sources.get(name);
  if (!sha) throw new Error(`no source ${name}`);
  return sha;
};

const uploadRow = (name: string) => page.locator(`#upload-list li[data-name="${name}"]`);
const sessionRow = (name: string) => page.locator(`#session-rows tr[data-name="${name}"]`);
const button = (name: string) => page.getByRole('button', { name, exact: true });

async function waitForState(name: string, state: string): Promise<void> {
  await page.locator(`#upload-list li[data-name="${name}"][data-state="${state}"]`).waitFor();
}

/** The sessions list is not loading (it says so with aria-busy while it does). */
const sessionsSettled = () => page.locator('#session-rows:not([aria-busy="true"])').waitFor();

const isFocused = (target: Locator) => target.evaluate((el) => el === document.activeElement);
const holdsFocus = (target: Locator) =>
  target.evaluate((el) => el.contains(document.activeElement));

/** Presses Tab until `target` has focus; fails when it is not reached within `max` presses. */
async function tabTo(target: Locator, max = 40): Promise<void> {
  for (let presses = 0; presses < max; presses++) {
    if (await isFocused(target)) return;
    await page.keyboard.press('Tab');
  }
  if (!(await isFocused(target))) throw new Error(`Tab never reached ${target}`);
}

interface StoredSession {
  readonly id: string;
  readonly fileName: string;
  readonly key: string;
  readonly status: string;
}

async function sessionsNamed(name: string): Promise<StoredSession[]> {
  const list = await api.request('GET', '/uploads?status=all&limit=100');
  return (list.body.data.items as StoredSession[]).filter((s) => s.fileName === name);
}

/** The stored object of the uploaded session of `name`, hashed. */
async function storedObject(name: string): Promise<{ key: string; sha256: string }> {
  const session = (await sessionsNamed(name)).find((s) => s.status === 'uploaded');
  if (!session) throw new Error(`no uploaded session of ${name}`);
  const object = await harness.s3.send(
    new GetObjectCommand({ Bucket: harness.bucket, Key: session.key }),
  );
  const bytes = await (
    object.Body as { transformToByteArray(): Promise<Uint8Array> }
  ).transformToByteArray();
  return { key: session.key, sha256: sha256Hex(bytes) };
}

async function expectStored(names: readonly string[]): Promise<void> {
  for (const name of names) expect((await storedObject(name)).sha256, name).toBe(sourceSha(name));
}

async function expectNothingStored(key: string): Promise<void> {
  const bucket = harness.bucket;
  await expect(
    harness.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
  ).rejects.toMatchObject({ name: 'NotFound' });
  const parts = await harness.s3.send(
    new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }),
  );
  expect(parts.Uploads ?? [], key).toEqual([]);
}

/**
 * A real drag of files and folders from disk onto the drop zone, through Chromium's own input
 * pipeline (CDP Input.dispatchDragEvent): unlike a DataTransfer built by a script, whose items
 * have no file-system entries (webkitGetAsEntry() gives null), it carries entries, so the page
 * walks dropped folders as it does for a user.
 */
async function dragFromDisk(paths: readonly string[]): Promise<void> {
  const box = await page.locator('#dropzone').boundingBox();
  if (!box) throw new Error('the drop zone is not shown');
  // Near its corner: over the zone's text, not over a picker (which takes drops itself).
  const at = { x: box.x + 8, y: box.y + 8 };
  const data = { items: [], files: [...paths], dragOperationsMask: 1 };
  const cdp = await page.context().newCDPSession(page);
  for (const type of ['dragEnter', 'dragOver', 'drop'] as const)
    await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
  await cdp.detach();
}

describe.skipIf(SKIP_REASON !== '')(`the upload page's controls in Chromium${SKIP_REASON}`, () => {
  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'upload-page-controls-'));
    // Without live progress: the page's WebSocket handshake is refused (404), as when the live
    // API is down, so the sessions list must poll.
    harness = await startHarness();
    api = await harness.as('controls-user');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('console', (m) => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    page.on('dialog', (dialog) => void dialog.accept());
    // Listening from the start turns file-chooser interception on before any key opens one.
    page.on('filechooser', () => undefined);
    const chunkPut = (r: { method(): string; url(): string }) =>
      r.method() === 'PUT' && isChunkPut(new URL(r.url()));
    page.on('request', (r) => void (chunkPut(r) && puts.sent++));
    page.on('requestfinished', (r) => void (chunkPut(r) && puts.ended++));
    page.on('requestfailed', (r) => void (chunkPut(r) && puts.ended++));
    page.on('websocket', (ws) => {
      const socket = { failed: false, frames: 0 };
      sockets.push(socket);
      ws.on('socketerror', () => {
        socket.failed = true;
      });
      ws.on('framesent', () => socket.frames++);
      ws.on('framereceived', () => socket.frames++);
    });
    await page.goto(`${harness.url}/?token=${encodeURIComponent(api.token)}`);
    await page.locator('body[data-loaded="true"]').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('uploads a picked folder, its subfolder included, each file under its path in the folder', async () => {
    // Prepare
    const names = ['picked/notes.txt', 'picked/data.bin', 'picked/sub/deep.bin'];
    await makeFile('picked/notes.txt', new TextEncoder().encode('picked notes\n'.repeat(5000)));
    await makeFile('picked/data.bin', randomBytes(300_000));
    await makeFile('picked/sub/deep.bin', randomBytes(200_000));

    // Act: the folder input takes a directory (playwright-core >= 1.45 walks it, as a user's pick).
    await page.getByLabel('A folder').setInputFiles(join(dir, 'picked'));

    // Assess: one row per file, named by its path in the folder, on the page and on the server.
    for (const name of names) await waitForState(name, 'succeeded');
    const shown = await page.locator('#upload-list li .name').allTextContents();
    expect(shown.sort()).toEqual([...names].sort());
    for (const name of names)
      await sessionRow(name).and(page.locator('[data-status="uploaded"]')).waitFor();
    await expectStored(names);
    // The object key keeps only the file's own name (the server chooses keys).
    expect((await storedObject('picked/sub/deep.bin')).key).toMatch(/\/deep\.bin$/);
    await screenshot('1-folder');
    expect(pageErrors(), diagnostics()).toEqual([]);
  });

  it('uploads files dropped on the drop zone, and the files of a dropped folder with their paths', async () => {
    // Prepare
    const dropped = {
      'dropped-1.txt': 'one\n'.repeat(4000),
      'dropped-2.txt': 'two\n'.repeat(6000),
    };
    for (const [name, text] of Object.entries(dropped))
      sources.set(name, sha256Hex(new TextEncoder().encode(text)));
    await makeFile('dragged/top.txt', new TextEncoder().encode('top\n'.repeat(3000)));
    await makeFile('dragged/inner/below.bin', randomBytes(150_000));

    // Act: a drop of File objects made in the page (files only: see dragFromDisk).
    await page.evaluate((files) => {
      const data = new DataTransfer();
      for (const [name, text] of Object.entries(files))
        data.items.add(new File([text], name, { type: 'text/plain' }));
      const zone = document.getElementById('dropzone') as HTMLElement;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, cancelable: true }));
    }, dropped);
    // Act: a folder dragged from disk.
    await dragFromDisk([join(dir, 'dragged')]);

    // Assess
    const names = [...Object.keys(dropped), 'dragged/top.txt', 'dragged/inner/below.bin'];
    for (const name of names) await waitForState(name, 'succeeded');
    await expectStored(names);
    await screenshot('2-dropped');
    expect(pageErrors(), diagnostics()).toEqual([]);
  });

  it('pauses every upload with Pause all, sends no chunk while paused, and finishes them all with Resume all', async () => {
    // Prepare: three files upload at once (the page's limit) and the fourth waits its turn;
    // p1 has two chunks, so the four PUTs the page may send at once are all in flight.
    const names = ['p1.bin', 'p2.bin', 'p3.bin', 'p4.bin'];
    const paths = [
      await makeFile('p1.bin', randomBytes(CHUNK + 54_321)),
      await makeFile('p2.bin', randomBytes(MIB)),
      await makeFile('p3.bin', randomBytes(MIB + 1)),
      await makeFile('p4.bin', randomBytes(MIB + 2)),
    ];
    await holdStorage();
    await page.getByLabel('Files', { exact: true }).setInputFiles(paths);
    await expect.poll(() => gate.waitingCount, WAIT).toBe(4);
    await waitForState('p4.bin', 'queued');
    const sentBeforePause = puts.sent;

    // Act
    await button('Pause all').click();

    // Assess: every row paused, the PUTs in flight ended (aborted), and no new one sent.
    for (const name of names) await waitForState(name, 'paused');
    gate.flush();
    await expect.poll(() => puts.sent - puts.ended, WAIT).toBe(0);
    await expect.poll(() => page.locator('#totals').textContent(), WAIT).toContain('4 paused');
    await expect
      .poll(() => page.locator('#announcer').textContent(), WAIT)
      .toBe('All uploads paused');
    for (const name of names) {
      expect(await uploadRow(name).locator('.state').textContent(), name).toBe('Paused');
      expect(await button(`Resume ${name}`).isVisible(), name).toBe(true);
    }
    await screenshot('3-paused-all');
    expect(puts.sent).toBe(sentBeforePause);

    // Act: storage takes everything from now on.
    await releaseStorage();
    await button('Resume all').click();

    // Assess
    for (const name of names) await waitForState(name, 'succeeded');
    await expectStored(names);
    expect(pageErrors(), diagnostics()).toEqual([]);
  });

  it('cancels every upload with Cancel all: the rows, the sessions on the server and storage agree', async () => {
    // Prepare: three uploads held in flight and a fourth waiting.
    const names = ['c1.bin', 'c2.bin', 'c3.bin', 'c4.bin'];
    const paths = [];
    for (const name of names) paths.push(await makeFile(name, randomBytes(MIB)));
    await holdStorage();
    await page.getByLabel('Files', { exact: true }).setInputFiles(paths);
    await expect.poll(() => gate.waitingCount, WAIT).toBe(3);
    await waitForState('c4.bin', 'queued');
    const ids = await Promise.all(
      names.slice(0, 3).map((name) => uploadRow(name).getAttribute('data-session-id')),
    );

    // Act
    await button('Cancel all').click();

    // Assess: every row cancelled, with no control left.
    for (const name of names) {
      await waitForState(name, 'cancelled');
      expect(await uploadRow(name).locator('.state').textContent(), name).toBe('Cancelled');
    }
    await expect
      .poll(() => page.locator('#announcer').textContent(), WAIT)
      .toBe('All uploads cancelled');
    expect(
      await page.locator('#upload-list li[data-state="cancelled"] button:visible').count(),
    ).toBe(0);
    // The server: the three sessions cancelled, nothing in storage; the waiting file never began.
    for (const id of ids) {
      const session = (await api.request('GET', `/uploads/${id}`)).body.data as StoredSession;
      expect(session.status, session.fileName).toBe('cancelled');
      await expectNothingStored(session.key);
      await sessionRow(session.fileName).and(page.locator('[data-status="cancelled"]')).waitFor();
    }
    expect(await sessionsNamed('c4.bin')).toEqual([]);
    await screenshot('4-cancelled-all');
    await releaseStorage();
    expect(pageErrors(), diagnostics()).toEqual([]);
  });

  it("follows another client's upload to uploaded by polling when the live socket cannot connect", async () => {
    // Prepare: another client (this test process) starts a two-chunk upload.
    const bytes = randomBytes(CHUNK + 4321);
    sources.set('elsewhere.bin', sha256Hex(bytes));
    const started = await api.initiate({ fileName: 'elsewhere.bin', fileSize: bytes.length });
    expect(started.status).toBe(201);
    const { id, chunkSize } = started.body.data as { id: string; chunkSize: number };
    const [first, last] = chunksOf(bytes, chunkSize) as [Uint8Array, Uint8Array];

    // Act: the page lists it.
    await button('Refresh').click();

    // Assess: followed by polling, after the socket's handshake was refused.
    const row = sessionRow('elsewhere.bin');
    await row.and(page.locator('[data-mode="polling"]')).waitFor();
    await expect.poll(() => sockets.some((s) => s.failed), WAIT).toBe(true);
    expect(sockets.filter((s) => s.frames > 0)).toEqual([]);

    // Act: the other client sends a chunk; the page shows it.
    await api.sendChunk(id, 0, first);
    const percent = async () =>
      Number((await row.locator('.percent').textContent())?.replace('%', ''));
    await expect.poll(percent, WAIT).toBeGreaterThan(0);
    expect(await row.getAttribute('data-status')).toBe('uploading');

    // Act: ... and finishes.
    await api.sendChunk(id, 1, last);
    expect((await api.request('POST', `/uploads/${id}/complete`, {})).status).toBe(200);

    // Assess: the final status reaches the page, with its actions.
    await row.and(page.locator('[data-status="uploaded"]')).waitFor();
    expect(await row.locator('.status').textContent()).toBe('Uploaded');
    expect(await percent()).toBe(100);
    expect(await button('Download elsewhere.bin').isVisible()).toBe(true);
    await expectStored(['elsewhere.bin']);
    // Every row's actions cell spans its row (cancelled rows have none to show).
    const misaligned = await page.locator('#session-rows tr').evaluateAll((rows) =>
      rows
        .filter((row) => {
          const height = row.querySelector('td.actions')?.getBoundingClientRect().height ?? 0;
          return Math.abs(height - row.getBoundingClientRect().height) > 1;
        })
        .map((row) => (row as HTMLElement).dataset.name),
    );
    expect(misaligned).toEqual([]);
    await screenshot('5-polled');
  });

  it('picks a file, then pauses, resumes and cancels its upload from the keyboard', async () => {
    // Prepare
    const path = await makeFile('keyboard.bin', randomBytes(MIB));
    await button('Clear finished').click();
    await holdStorage();

    // Act: from the token field, Tab to the Files picker and open it with Enter.
    await page.getByLabel('Access token').focus();
    await tabTo(button('Files'));
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.keyboard.press('Enter'),
    ]);
    await chooser.setFiles(path);
    await expect.poll(() => gate.waitingCount, WAIT).toBe(1);
    await waitForState('keyboard.bin', 'running');

    // Act: Tab to the row's Pause; Enter.
    await tabTo(button('Pause keyboard.bin'));
    await page.keyboard.press('Enter');

    // Assess: paused, focus on Resume.
    await waitForState('keyboard.bin', 'paused');
    expect(await isFocused(button('Resume keyboard.bin'))).toBe(true);

    // Act: Space resumes (the aborted PUT is let go first).
    gate.flush();
    await page.keyboard.press('Space');

    // Assess
    await waitForState('keyboard.bin', 'running');
    await expect.poll(() => gate.waitingCount, WAIT).toBe(1);

    // Act: Tab to Cancel; Enter.
    await tabTo(button('Cancel keyboard.bin'));
    await page.keyboard.press('Enter');

    // Assess: cancelled here and on the server; focus stays on the row.
    await waitForState('keyboard.bin', 'cancelled');
    const id = (await uploadRow('keyboard.bin').getAttribute('data-session-id')) as string;
    expect((await api.request('GET', `/uploads/${id}`)).body.data.status).toBe('cancelled');
    expect(await holdsFocus(uploadRow('keyboard.bin'))).toBe(true);
    await screenshot('6-keyboard-cancelled');
    await releaseStorage();
    expect(pageErrors(), diagnostics()).toEqual([]);
  });

  it('deletes a file from the keyboard, keeping focus while the list is redrawn', async () => {
    // Prepare: an upload held in flight, whose end redraws the sessions list.
    await sessionsSettled();
    const path = await makeFile('late.bin', randomBytes(MIB));
    await holdStorage();
    await page.getByLabel('Files', { exact: true }).setInputFiles(path);
    await expect.poll(() => gate.waitingCount, WAIT).toBe(1);
    await sessionRow('late.bin').waitFor();
    await sessionsSettled();
    const { key } = await storedObject('dropped-1.txt');

    // Act: Tab from Refresh to the Delete button of dropped-1.txt; then the upload ends.
    await button('Refresh').focus();
    const remove = button('Delete dropped-1.txt');
    await tabTo(remove);
    await releaseStorage();
    await waitForState('late.bin', 'succeeded');
    await sessionsSettled();

    // Assess: the list was redrawn (late.bin uploaded) and focus is where it was.
    await sessionRow('late.bin').and(page.locator('[data-status="uploaded"]')).waitFor();
    expect(await isFocused(remove)).toBe(true);

    // Act: Enter (the page asks first; the test accepts).
    await page.keyboard.press('Enter');

    // Assess: deleted on the page and in storage; focus stays on its row.
    await sessionRow('dropped-1.txt').and(page.locator('[data-status="deleted"]')).waitFor();
    await expectNothingStored(key);
    expect(await holdsFocus(sessionRow('dropped-1.txt'))).toBe(true);
    await screenshot('7-keyboard-deleted');
    expect(pageErrors(), diagnostics()).toEqual([]);
  });
});
