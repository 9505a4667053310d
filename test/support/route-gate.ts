import type { Route } from 'playwright-core';

/**
 * Storage chunk PUTs wait here while the gate holds, each until the test lets one through. A PUT
 * the page aborted (pause, reload) still waits here until `flush`, which lets it fail harmlessly.
 */
export class RouteGate {
  private holding = false;
  private permits = 0;
  private readonly waiting: (() => void)[] = [];

  get waitingCount(): number {
    return this.waiting.length;
  }

  hold(): void {
    this.holding = true;
  }

  /** Lets `count` more PUTs through. */
  allow(count: number): void {
    for (let i = 0; i < count; i++) {
      const next = this.waiting.shift();
      if (next) next();
      else this.permits++;
    }
  }

  /** Lets every waiting PUT go (aborted ones fail), and keeps holding new ones. */
  flush(): void {
    this.permits = 0;
    for (const next of this.waiting.splice(0)) next();
  }

  open(): void {
    this.holding = false;
    this.flush();
  }

  readonly handle = async (route: Route): Promise<void> => {
    if (route.request().method() === 'PUT' && this.holding) {
      if (this.permits > 0) this.permits--;
      else await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    await route.continue().catch(() => undefined); // the page aborted it meanwhile
  };
}

/** A presigned multipart-part URL: a chunk PUT to storage. */
export const isChunkPut = (url: URL): boolean =>
  url.searchParams.has('partNumber') && url.searchParams.has('uploadId');
