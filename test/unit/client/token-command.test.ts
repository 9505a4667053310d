import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandTokenProvider, runTokenCommand } from '../../../client/sdk/token-command.ts';

const jwt = (exp: number) =>
  ['{"alg":"none"}', JSON.stringify({ sub: 'bob', exp })]
    .map((part) => Buffer.from(part).toString('base64url'))
    .concat('sig')
    .join('.');

/** A directory for a command to note its runs in (`echo run >> "$dir/runs"`). */
async function runLog() {
  const dir = await mkdtemp(join(tmpdir(), 'token-command-'));
  const runs = async () =>
    (await readFile(join(dir, 'runs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  return { dir, runs };
}

describe('commandTokenProvider', () => {
  it("takes the command's trimmed stdout as the token, running it once while valid", async () => {
    // Prepare: the command notes each run in a file
    const { dir, runs } = await runLog();
    const token = commandTokenProvider(`echo run >> "${dir}/runs"; printf '  opaque-token \\n'`);
    // Act
    const answers = await Promise.all([token(), token(), token()]);
    // Assess
    expect(answers).toEqual(['opaque-token', 'opaque-token', 'opaque-token']);
    expect(await runs()).toBe(1);
    // a 401: run again
    expect(await token({ forceRefresh: true, rejectedToken: 'opaque-token' })).toBe('opaque-token');
    expect(await runs()).toBe(2);
  });

  it('runs the command again when its JWT is within 5 minutes of expiry', async () => {
    const { dir, runs } = await runLog();
    const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
    const token = jwt(clock.now / 1000 + 3600);
    const provider = commandTokenProvider(`echo run >> "${dir}/runs"; printf '%s' "$TOKEN"`, {
      env: { ...process.env, TOKEN: token },
      now: () => clock.now,
    });
    expect(await provider()).toBe(token);
    clock.now += 54 * 60_000;
    expect(await provider()).toBe(token);
    expect(await runs()).toBe(1);
    clock.now += 60_000;
    expect(await provider()).toBe(token);
    expect(await runs()).toBe(2);
  });

  it('names a failing command and the last line of its stderr', async () => {
    await expect(runTokenCommand('echo "not signed in" >&2; exit 3')).rejects.toThrow(
      'token command exited with code 3: not signed in',
    );
    await expect(runTokenCommand('true')).rejects.toThrow('token command printed nothing');
    await expect(runTokenCommand('echo two words')).rejects.toThrow(
      'token command printed more than one word',
    );
  });

  it('refuses an empty command', () => {
    expect(() => commandTokenProvider('  ')).toThrow('the token command is empty');
  });
});
