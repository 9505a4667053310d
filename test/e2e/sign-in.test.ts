/**
 * Hosted sign-in on the upload page, as on a deployed stack: the page reads its OIDC settings
 * from config.json, sends the browser to the provider (authorization code with PKCE, S256), and
 * comes back signed in; the API accepts the provider's RS256 access token as the deployed JWT
 * authorizer would (issuer, audience or client_id, exp, sub). The provider is a real one on
 * loopback (test/support/oidc-issuer.ts) standing in for Cognito's hosted UI, which no emulator
 * here serves. Proves: sign-in, an upload owned by the provider's user with its bytes in
 * storage, a reload keeping the sign-in, a refresh, sign-out at the page and the provider, and a
 * forged callback refused.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../support/api-client.ts';
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { type OidcIssuer, startOidcIssuer } from '../support/oidc-issuer.ts';

const SKIP_REASON = chromiumSkipReason('sign-in.test.ts');
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const USER = 'ada-oidc';

let harness: Harness;
let issuer: OidcIssuer;
let browser: Browser;
let page: Page;
let dir: string;
const consoleLines: string[] = [];

const state = () => page.locator('#signin-state');

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `sign-in-${name}.png`), fullPage: true });
}

describe.skipIf(SKIP_REASON !== '')(`hosted sign-in on the upload page${SKIP_REASON}`, () => {
  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'sign-in-'));
    harness = await startHarness();
    issuer = await startOidcIssuer({ redirectUri: `${harness.url}/` });
    // Read per request by local/auth.ts and local/web.ts, as `npm start` reads them.
    process.env.LOCAL_OIDC_ISSUER = issuer.issuer;
    process.env.LOCAL_OIDC_CLIENT_ID = issuer.clientId;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    page.on('console', (m) => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    // The provider's development form imports a web font; this network has no way out.
    await page.route(/fonts\.googleapis\.com/, (route) => route.abort());
  });

  afterAll(async () => {
    delete process.env.LOCAL_OIDC_ISSUER;
    delete process.env.LOCAL_OIDC_CLIENT_ID;
    await browser?.close();
    await issuer?.close();
    await harness?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('signs in at the provider and comes back signed in, with the code out of the address bar', async () => {
    // Arrange
    await page.goto(`${harness.url}/`);
    await page.locator('body[data-loaded="true"]').waitFor();
    await expect.poll(() => state().textContent()).toBe('Not signed in.');

    // Act: the page's button, then the provider's own sign-in and consent forms.
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.origin === issuer.issuer);
    await screenshot('1-provider');
    await page.locator('input[name="login"]').fill(USER);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.origin === new URL(harness.url).origin);
    await page.locator('body[data-loaded="true"]').waitFor();

    // Assess
    await expect.poll(() => state().textContent(), { timeout: 10_000 }).toBe('Signed in.');
    expect(new URL(page.url()).search).toBe('');
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
    expect(consoleLines.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
  });

  it("uploads as the provider's user, and the bytes in storage are the file's", async () => {
    // Arrange
    const bytes = randomBytes(6 * 1024 * 1024 + 123);
    const path = join(dir, 'signed-in.bin');
    await writeFile(path, bytes);

    // Act
    await page.getByLabel('Files', { exact: true }).setInputFiles(path);
    await page
      .locator('#upload-list li[data-name="signed-in.bin"][data-state="succeeded"]')
      .waitFor({ timeout: 60_000 });

    // Assess: the session belongs to the token's subject (a local token for the same user id
    // sees it), and storage holds the exact bytes.
    const sameUser = await harness.as(USER);
    const list = await sameUser.request('GET', '/uploads?status=all');
    const session = (
      list.body.data.items as { fileName: string; key: string; status: string }[]
    ).find((s) => s.fileName === 'signed-in.bin');
    expect(session?.status).toBe('uploaded');
    const object = await harness.s3.send(
      new GetObjectCommand({ Bucket: harness.bucket, Key: session?.key }),
    );
    const stored = await (
      object.Body as { transformToByteArray(): Promise<Uint8Array> }
    ).transformToByteArray();
    expect(sha256Hex(stored)).toBe(sha256Hex(bytes));
    const other = await harness.as('someone-else');
    const theirs = await other.request('GET', '/uploads?status=all');
    expect(theirs.body.data.items).toEqual([]);
    await screenshot('2-uploaded');
  });

  it("stays signed in across a reload and lists the user's files with the same token", async () => {
    // Act
    await page.reload();
    await page.locator('body[data-loaded="true"]').waitFor();

    // Assess
    expect(await state().textContent()).toBe('Signed in.');
    await page.locator('#session-rows tr[data-name="signed-in.bin"]').waitFor();
  });

  it('refreshes an access token near its expiry with the refresh token, and goes on working', async () => {
    // Arrange: the stored access token now looks about to expire.
    const tokensKey = 'upload-page:oidc-tokens';
    const stored = () =>
      page.evaluate(
        (key) => JSON.parse(sessionStorage.getItem(key) ?? '{}'),
        tokensKey,
      ) as Promise<{
        accessToken?: string;
        refreshToken?: string;
      }>;
    const before = await stored();
    expect(before.refreshToken).toEqual(expect.any(String));
    await page.evaluate((key) => {
      const tokens = JSON.parse(sessionStorage.getItem(key) ?? '{}');
      sessionStorage.setItem(key, JSON.stringify({ ...tokens, expiresAt: Date.now() }));
    }, tokensKey);
    const refreshed = page.waitForRequest(
      (r) =>
        r.url().startsWith(issuer.issuer) &&
        r.method() === 'POST' &&
        (r.postData() ?? '').includes('grant_type=refresh_token'),
    );
    const listed = page.waitForResponse(
      (r) => r.url().includes('/api/v1/uploads?') && r.request().method() === 'GET',
    );

    // Act
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();

    // Assess: one refresh at the provider, then the list answered 200 with a new token.
    await refreshed;
    expect((await listed).status()).toBe(200);
    const after = await stored();
    expect(after.accessToken).toEqual(expect.any(String));
    expect(after.accessToken).not.toBe(before.accessToken);
    await page.locator('#session-rows tr[data-name="signed-in.bin"]').waitFor();
  });

  it("signs out of the page and of the provider's session: the next sign-in asks for the password again", async () => {
    // Act: the page's button, then the provider's own confirmation.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.origin === issuer.issuer);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((url) => url.origin === new URL(harness.url).origin);
    await page.locator('body[data-loaded="true"]').waitFor();

    // Assess: no token left in the tab, and the provider has forgotten the user.
    expect(await state().textContent()).toBe('Not signed in.');
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([]);
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('input[name="login"]').waitFor();
    await screenshot('3-signed-out');
  });

  it('refuses a callback that does not belong to a sign-in it started', async () => {
    // Act: a code and state the page never asked for (a forged or replayed redirect).
    await page.goto(`${harness.url}/?code=forged-code&state=forged-state`);
    await page.locator('body[data-loaded="true"]').waitFor();

    // Assess
    await expect
      .poll(() => page.locator('#announcer').textContent())
      .toContain('does not belong to this sign-in');
    expect(await state().textContent()).toBe('Not signed in.');
    expect(new URL(page.url()).search).toBe('');
  });
});
