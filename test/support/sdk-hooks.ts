/**
 * Hooks into the SDK clients the handlers of this test process share, to make storage fail or
 * to hold a call at a chosen point (deterministic races). A hook sees every command before it is
 * sent and decides what happens: call `send()` to let it through (and inspect or replace the
 * answer), throw to make it fail, or await something first to pause it.
 */
export type Service = 's3' | 'dynamodb';

export interface SdkCall {
  readonly service: Service;
  /** The low-level command, e.g. `ListPartsCommand`, `UpdateItemCommand`, `TransactWriteItemsCommand`. */
  readonly command: string;
  readonly input: Record<string, unknown>;
}

export type SdkHook = (call: SdkCall, send: () => Promise<unknown>) => Promise<unknown>;

type Middleware = (
  next: (args: unknown) => Promise<unknown>,
  context: { commandName?: string },
) => (args: { input?: Record<string, unknown> }) => Promise<unknown>;

/** Any SDK v3 client (their middleware stacks' types differ per service). */
interface HookedClient {
  readonly middlewareStack: object;
}

type AddMiddleware = (
  middleware: Middleware,
  options: { step: 'initialize'; name: string; priority: 'high' },
) => void;

export interface SdkHooks {
  /** Installs `hook` (replacing the previous one); returns a function that removes it. */
  use(hook: SdkHook): () => void;
  clear(): void;
  /** Every call seen since the last `clear()`, in order. */
  readonly calls: SdkCall[];
}

const installed = new WeakMap<object, SdkHooks>();

/** Installs the hook middleware once on each client (idempotent per client set). */
export function hookSdk(clients: {
  s3: HookedClient;
  s3Assembly?: HookedClient;
  documents: HookedClient;
}): SdkHooks {
  const known = installed.get(clients.s3);
  if (known) return known;
  let current: SdkHook | undefined;
  const calls: SdkCall[] = [];
  const add = (client: HookedClient, service: Service) =>
    (client.middlewareStack as { add: AddMiddleware }).add(
      (next, context) => async (args) => {
        const call = { service, command: context.commandName ?? '?', input: args.input ?? {} };
        calls.push(call);
        const hook = current;
        return hook ? hook(call, () => next(args)) : next(args);
      },
      { step: 'initialize', name: `testHook-${service}`, priority: 'high' },
    );
  add(clients.s3, 's3');
  if (clients.s3Assembly) add(clients.s3Assembly, 's3');
  add(clients.documents, 'dynamodb');
  const hooks: SdkHooks = {
    use: (hook) => {
      current = hook;
      return () => {
        if (current === hook) current = undefined;
      };
    },
    clear: () => {
      current = undefined;
      calls.length = 0;
    },
    calls,
  };
  installed.set(clients.s3, hooks);
  return hooks;
}

/** An error shaped like the SDK's service errors (what adapters see from a real AWS answer). */
export function serviceError(name: string, status: number, message = `injected ${name}`): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts: 1 },
  });
}

/** An error shaped like a refused or dropped connection (what the SDK throws with no answer). */
export function networkError(code = 'ECONNREFUSED'): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code, name: 'Error' });
}

/** A gate a hook can wait on: `opened` resolves once `open()` is called. */
export function gate(): { opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * Hooks the SDK clients of the handlers loaded in this test process (after `startHarness`, whose
 * environment they read at import).
 */
export async function hookHandlers(): Promise<SdkHooks> {
  const { awsClients } = await import('../../functions/commons/dependencies.ts');
  return hookSdk(awsClients);
}
