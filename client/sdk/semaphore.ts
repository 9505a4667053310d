/** Permission to do one thing at a time out of a shared limit (one chunk PUT, in the SDK). */
export interface Permits {
  /** Resolves to a release function once a permit is free; rejects when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void>;
}

/**
 * A counting semaphore: at most `limit` permits out at once, handed to waiters first come,
 * first served. A release function works once; calling it again does nothing.
 */
export class Semaphore implements Permits {
  readonly limit: number;
  private out = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new TypeError(`a semaphore needs a positive integer limit, got ${limit}`);
    this.limit = limit;
  }

  /** Permits out now. */
  get inUse(): number {
    return this.out;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.waiters.length;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.out < this.limit && this.waiters.length === 0) {
      this.out++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.releaser()); // the permit passes straight from the releaser to us
      };
      const onAbort = () => {
        const at = this.waiters.indexOf(grant);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(signal?.reason);
      };
      this.waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.out--;
    };
  }
}
