import { describe, expect, it } from 'vitest';
import {
  isTerminalStatus,
  MIN_SEND_INTERVAL_MS,
  ProgressFolder,
} from '../../../../src/domain/live/fold.ts';
import { fakeClock } from './fake-clock.ts';

const change = (sessionId: string, terminal = false) => ({ sessionId, terminal });

describe('ProgressFolder', () => {
  it('sends a first change at once and holds back the next ones of the interval', () => {
    // Prepare
    const clock = fakeClock();
    const folder = new ProgressFolder(clock);

    // Act
    const first = folder.offer(change('s1'));
    clock.advance(10);
    const second = folder.offer(change('s1'));
    clock.advance(10);
    const third = folder.offer(change('s1'));

    // Assess: the two later changes fold into one send, one interval after the first
    expect([first, second, third]).toEqual(['now', 'later', 'later']);
    expect(folder.nextDueAt()).toBe(clock.ms - 20 + MIN_SEND_INTERVAL_MS);
    expect(folder.takeDue()).toEqual([]);
    clock.advance(MIN_SEND_INTERVAL_MS - 20);
    expect(folder.takeDue()).toEqual(['s1']);
    expect(folder.nextDueAt()).toBeUndefined();
  });

  it('never sends a session more than 4 times a second, however many changes arrive', () => {
    // Prepare
    const clock = fakeClock();
    const folder = new ProgressFolder(clock);
    let sends = 0;

    // Act: a change every 5 ms for 10 seconds, sending whatever is due as time passes
    for (let t = 0; t < 10_000; t += 5) {
      if (folder.offer(change('s1')) === 'now') sends++;
      sends += folder.takeDue().length;
      clock.advance(5);
    }
    clock.advance(MIN_SEND_INTERVAL_MS);
    sends += folder.takeDue().length;

    // Assess
    expect(sends).toBeLessThanOrEqual(4 * 10 + 1);
    expect(sends).toBeGreaterThanOrEqual(4 * 10 - 1);
  });

  it('sends a terminal status at once, folding any held-back send into it', () => {
    // Prepare
    const clock = fakeClock();
    const folder = new ProgressFolder(clock);
    folder.offer(change('s1'));
    clock.advance(10);
    expect(folder.offer(change('s1'))).toBe('later');

    // Act
    clock.advance(10);
    const terminal = folder.offer(change('s1', true));

    // Assess
    expect(terminal).toBe('now');
    expect(folder.nextDueAt()).toBeUndefined();
    clock.advance(MIN_SEND_INTERVAL_MS);
    expect(folder.takeDue()).toEqual([]);
  });

  it('limits each session on its own', () => {
    const clock = fakeClock();
    const folder = new ProgressFolder(clock);
    expect(folder.offer(change('s1'))).toBe('now');
    expect(folder.offer(change('s2'))).toBe('now');
    expect(folder.offer(change('s1'))).toBe('later');
    clock.advance(100);
    expect(folder.offer(change('s2'))).toBe('later');
    expect(folder.nextDueAt()).toBe(clock.ms - 100 + MIN_SEND_INTERVAL_MS);
    clock.advance(150);
    expect(folder.takeDue().sort()).toEqual(['s1', 's2']);
  });

  it('sends at once again after a quiet interval, and forgets quiet sessions', () => {
    const clock = fakeClock();
    const folder = new ProgressFolder(clock);
    folder.offer(change('s1'));
    clock.advance(MIN_SEND_INTERVAL_MS);
    expect(folder.offer(change('s1'))).toBe('now');
    clock.advance(MIN_SEND_INTERVAL_MS);
    folder.offer(change('s2'));
    expect(folder.size).toBe(1);
  });

  it('knows the terminal statuses', () => {
    expect(['uploaded', 'cancelled', 'failed', 'deleted', 'expired'].every(isTerminalStatus)).toBe(
      true,
    );
    expect(['initiated', 'uploading', 'completing'].some(isTerminalStatus)).toBe(false);
  });
});
