import type { FetchLike } from '../../client/sdk/api.ts';

/** Chunk PUTs that each wait for a permit from the test (an aborted PUT stops waiting). */
export class PutGate {
  private permits = 0;
  private readonly waiting: (() => void)[] = [];

  readonly storageFetch: FetchLike = async (url, init) => {
    await this.pass(init?.signal ?? undefined);
    return fetch(url, init);
  };

  /** Lets `count` more PUTs through. */
  open(count = 1): void {
    for (let i = 0; i < count; i++) {
      const next = this.waiting.shift();
      if (next) next();
      else this.permits++;
    }
  }

  private pass(signal: AbortSignal | undefined): Promise<void> {
    if (this.permits > 0) {
      this.permits--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', stop);
        resolve();
      };
      const stop = () => {
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', stop, { once: true });
      this.waiting.push(go);
    });
  }
}
