/** A clock that moves only when told; `sleep` moves it, so waits take no time. */
export function fakeClock(start = Date.parse('2026-01-01T12:00:00.000Z')) {
  let now = start;
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
    sleep: async (ms: number) => {
      now += ms;
    },
    get ms() {
      return now;
    },
  };
}
