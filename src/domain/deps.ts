import type { UploadPolicy } from './policy.ts';
import type { Clock, IdGenerator, SessionLedger, UploadEvents, UploadStorage } from './ports.ts';

/** Everything a use case needs, wired once per cold start. */
export interface UploadDeps {
  readonly ledger: SessionLedger;
  readonly storage: UploadStorage;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly policy: UploadPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly events: UploadEvents;
}
