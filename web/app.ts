/**
 * The upload page: pick or drop files and folders, upload them with the SDK's queue (pause,
 * resume, cancel; resumed after a reload through the localStorage resume store), and manage the
 * files on the server. Bundled by local/web.ts (served at `/` by the local server) or by
 * `npm run build:web` (web/dist, static hosting with a config.json beside it).
 */
import {
  createUploadQueue,
  localStorageStore,
  type TokenProvider,
  UploadApiClient,
  UploadApiError,
} from '@upload-api/client';
import { loadConfig, type PageConfig } from './config.ts';
import { announce, byId } from './dom.ts';
import { describeError } from './messages.ts';
import { completeSignIn, oidcTokenProvider, signIn, signOut, storedTokens } from './oidc.ts';
import { fromDrop, fromFileList } from './pick.ts';
import { SessionsView } from './sessions.ts';
import { STORE_PREFIX, UnfinishedView } from './unfinished.ts';
import { type PickedFile, UploadsView } from './uploads.ts';

const TOKEN_KEY = 'upload-page:token';

/**
 * `?token=` wins (and leaves the address bar, so it is not kept in history), then the one saved
 * for this tab (sessionStorage: a reload keeps it, closing the tab forgets it).
 */
function initialToken(): string {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token')?.trim();
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    params.delete('token');
    const query = params.toString();
    history.replaceState(
      null,
      '',
      `${location.pathname}${query ? `?${query}` : ''}${location.hash}`,
    );
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** Who the token says the user is (its `sub`), for the page to show; nothing is verified here. */
function subjectOf(token: string): string | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { sub?: unknown; exp?: unknown; email?: unknown };
    const who = typeof claims.email === 'string' ? claims.email : claims.sub;
    const expired = typeof claims.exp === 'number' && claims.exp * 1000 < Date.now();
    return typeof who === 'string' ? `${who}${expired ? ' (expired)' : ''}` : undefined;
  } catch {
    return undefined;
  }
}

async function signInState(
  config: PageConfig,
): Promise<{ token: TokenProvider; who: () => string }> {
  const tokenInput = byId<HTMLInputElement>('token');
  let manual = initialToken();
  tokenInput.value = manual;
  const oidc = config.oidc;
  if (oidc) {
    byId('oidc').hidden = false;
    try {
      if (await completeSignIn(oidc)) announce('Signed in');
    } catch (error) {
      announce(describeError(error));
    }
  }
  const fromOidc = oidc ? oidcTokenProvider(oidc) : undefined;
  const token: TokenProvider = async (request) => {
    if (fromOidc && storedTokens() && !manual) return fromOidc(request);
    if (!manual) throw new UploadApiError('UNAUTHORIZED', 'No access token', 401);
    return manual;
  };
  const who = () => {
    if (fromOidc && storedTokens() && !manual) return 'Signed in.';
    const subject = manual ? subjectOf(manual) : undefined;
    return manual ? `Using a token${subject ? ` for ${subject}` : ''}.` : 'Not signed in.';
  };
  const state = byId('signin-state');
  const drawState = () => {
    state.textContent = who();
    if (oidc) byId('oidc-signout').hidden = !storedTokens();
  };
  byId<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    manual = tokenInput.value.trim();
    if (manual) sessionStorage.setItem(TOKEN_KEY, manual);
    else sessionStorage.removeItem(TOKEN_KEY);
    drawState();
    announce(manual ? 'Token saved' : 'Token removed');
    window.dispatchEvent(new Event('upload-page:signin'));
  });
  if (oidc) {
    byId('oidc-signin').addEventListener('click', () => {
      signIn(oidc).catch((error: unknown) => announce(describeError(error)));
    });
    byId('oidc-signout').addEventListener('click', () => {
      const leaving = signOut(oidc);
      drawState();
      announce('Signed out');
      leaving.catch((error: unknown) => announce(describeError(error)));
    });
  }
  drawState();
  return { token, who };
}

async function main(): Promise<void> {
  const config = await loadConfig();
  if (new URL(config.apiUrl).origin !== location.origin) byId('docs-link').hidden = true;
  const { token } = await signInState(config);
  const client = new UploadApiClient({ apiUrl: config.apiUrl, token });
  const store = localStorageStore({ prefix: STORE_PREFIX });
  const queue = createUploadQueue({
    apiUrl: config.apiUrl,
    token,
    store,
    concurrency: 4,
    filesInParallel: 3,
    quotaWaitMs: 60_000,
  });

  let sessions: SessionsView | undefined;
  let refreshing = false;
  const sessionsChanged = () => {
    if (refreshing) return;
    refreshing = true;
    // One refresh for the changes of one task of the event loop.
    queueMicrotask(() => {
      refreshing = false;
      void sessions?.refresh();
    });
  };
  const uploads = new UploadsView({
    queue,
    list: byId('upload-list'),
    totals: byId('totals'),
    totalBar: byId<HTMLProgressElement>('total-progress'),
    onChange: sessionsChanged,
  });
  const unfinished = new UnfinishedView({
    apiUrl: config.apiUrl,
    client: () => client,
    section: byId('unfinished'),
    list: byId('unfinished-list'),
    upload: (files) => uploads.add(files),
  });
  sessions = new SessionsView({
    apiUrl: config.apiUrl,
    ...(config.liveUrl ? { liveUrl: config.liveUrl } : {}),
    token,
    client: () => client,
    body: byId('session-rows'),
    filter: byId<HTMLSelectElement>('status-filter'),
    more: byId<HTMLButtonElement>('more'),
    message: byId('sessions-message'),
    taskOf: (id) => uploads.taskOf(id),
  });

  const add = (files: readonly PickedFile[]) => {
    if (files.length === 0) return;
    unfinished.picked(files);
    uploads.add(files);
  };
  for (const id of ['files', 'folder']) {
    const input = byId<HTMLInputElement>(id);
    input.addEventListener('change', () => {
      add(fromFileList(input.files));
      input.value = ''; // the same file may be picked again
    });
  }
  const dropzone = byId('dropzone');
  for (const type of ['dragenter', 'dragover'] as const)
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add('over');
    });
  dropzone.addEventListener('dragleave', () => dropzone.classList.remove('over'));
  dropzone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropzone.classList.remove('over');
    if (!event.dataTransfer) return;
    fromDrop(event.dataTransfer).then(add, (error: unknown) => announce(describeError(error)));
  });

  byId('pause-all').addEventListener('click', () => {
    queue.pause();
    announce('All uploads paused');
  });
  byId('resume-all').addEventListener('click', () => {
    queue.resume();
    announce('Uploads resumed');
  });
  byId('cancel-all').addEventListener('click', () => {
    queue.cancel().then(
      () => announce('All uploads cancelled'),
      (error: unknown) => announce(describeError(error)),
    );
  });
  byId('clear-finished').addEventListener('click', () => uploads.clearFinished());
  byId('refresh').addEventListener('click', () => void sessions?.refresh());
  window.addEventListener('upload-page:signin', () => {
    void unfinished.show();
    void sessions?.refresh();
  });

  document.body.dataset.ready = 'true';
  await Promise.all([unfinished.show(), sessions.refresh()]);
  document.body.dataset.loaded = 'true';
}

main().catch((error: unknown) => {
  announce(`The page could not start: ${describeError(error)}`);
  console.error(error);
});
