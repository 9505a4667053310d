/** Debian's Chromium for the browser tests: where it is, whether to skip, and how it is launched. */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps dialling Google on this closed network.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why `testFile` is skipped (said once on the console), or '' when it runs: Chromium may be
 * missing locally, never in CI, where the launch then fails loudly.
 */
export function chromiumSkipReason(testFile: string): string {
  if (existsSync(CHROMIUM) || process.env.CI) return '';
  const reason = ` (SKIPPED: no ${CHROMIUM}; apt-get install chromium, as .ci/run does)`;
  console.warn(`${testFile}${reason}`);
  return reason;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (see .ci/run)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
