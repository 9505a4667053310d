/**
 * The user's sessions on the server (the list route), newest first: status, progress (live for
 * active ones, over the WebSocket with the SDK's polling fallback), download and delete.
 */
import {
  type TokenProvider,
  type UploadApiClient,
  type UploadSession,
  type UploadTask,
  type Watch,
  type WatchMode,
  watch,
} from '@upload-api/client';
import { announce, controlName, focusLost, h } from './dom.ts';
import { formatBytes, formatTime, SESSION_STATUS_LABELS } from './format.ts';
import { describeError } from './messages.ts';

type StatusFilter = 'all' | 'active' | 'uploaded';

export interface SessionsViewOptions {
  readonly apiUrl: string;
  readonly liveUrl?: string;
  readonly token: TokenProvider;
  readonly client: () => UploadApiClient;
  readonly body: HTMLElement;
  readonly filter: HTMLSelectElement;
  readonly more: HTMLButtonElement;
  readonly message: HTMLElement;
  /** The page's own task uploading to a session (cancelled through it, not behind its back). */
  readonly taskOf: (sessionId: string) => UploadTask | undefined;
}

const PAGE_SIZE = 20;
const ACTIVE = new Set(['initiated', 'uploading', 'completing']);

interface Line {
  session: UploadSession;
  readonly row: HTMLTableRowElement;
}

/** A focused control of a row, to focus its like again once the row is redrawn. */
interface FocusSpot {
  readonly sessionId: string;
  readonly name: string;
}

export class SessionsView {
  private readonly options: SessionsViewOptions;
  private readonly lines = new Map<string, Line>();
  private readonly watches = new Map<string, Watch>();
  /** How each watched session is followed (`socket`: live), once its watch has delivered. */
  private readonly modes = new Map<string, WatchMode>();
  private cursor: string | null = null;
  private loading: Promise<void> | undefined;
  private again = false;

  constructor(options: SessionsViewOptions) {
    this.options = options;
    options.filter.addEventListener('change', () => void this.refresh());
    options.more.addEventListener('click', () => void this.load(false));
  }

  /** Loads the first page again; calls made while loading are folded into one more load. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.options.body.setAttribute('aria-busy', 'true');
    this.loading = this.load(true).finally(() => {
      this.loading = undefined;
      if (this.again) {
        this.again = false;
        void this.refresh();
      } else this.options.body.removeAttribute('aria-busy');
    });
    return this.loading;
  }

  private async load(first: boolean): Promise<void> {
    const { message, more, filter } = this.options;
    const status = filter.value as StatusFilter;
    try {
      const items: UploadSession[] = [];
      let cursor = first ? null : this.cursor;
      // A page may hold fewer than asked (even none) and still carry a cursor: read on a little.
      for (let calls = 0; calls < 5 && items.length < PAGE_SIZE; calls++) {
        const page = await this.options.client().list({
          status,
          limit: PAGE_SIZE,
          ...(cursor ? { cursor } : {}),
        });
        items.push(...page.items);
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      this.cursor = cursor;
      const spot = this.focusSpot();
      if (first) this.clear();
      for (const session of items) this.upsert(session);
      this.refocus(spot);
      // Watches of sessions no longer shown, or no longer active, end.
      for (const [id, w] of this.watches) {
        if (ACTIVE.has(this.lines.get(id)?.session.status ?? '')) continue;
        w.close();
        this.watches.delete(id);
        this.modes.delete(id);
      }
      more.hidden = !cursor;
      message.textContent = this.lines.size === 0 ? 'No uploads on the server yet.' : '';
    } catch (error) {
      message.textContent = `Could not list your uploads: ${describeError(error)}`;
    }
  }

  private clear(): void {
    this.lines.clear();
    this.options.body.replaceChildren();
  }

  /** Adds a session's row or redraws it. */
  private upsert(session: UploadSession): void {
    const line = this.lines.get(session.id);
    const row = this.draw(session);
    if (line) {
      const spot = line.row.contains(document.activeElement) ? this.focusSpot() : undefined;
      line.row.replaceWith(row);
      line.session = session;
      this.lines.set(session.id, { session, row });
      this.refocus(spot);
    } else {
      this.lines.set(session.id, { session, row });
      this.options.body.append(row);
    }
    if (ACTIVE.has(session.status)) this.watch(session.id);
    this.drawMode(row, session.id);
  }

  private draw(session: UploadSession): HTMLTableRowElement {
    const percent =
      session.fileSize > 0 ? Math.floor((100 * session.uploadedBytes) / session.fileSize) : 100;
    const nameId = `session-${session.id}-name`;
    const bar = h('progress', {
      max: 100,
      value: session.status === 'uploaded' ? 100 : percent,
      'aria-labelledby': nameId,
      'aria-valuetext': `${formatBytes(session.uploadedBytes)} of ${formatBytes(session.fileSize)}`,
    });
    const error = session.error ? h('p', { class: 'error' }, session.error) : undefined;
    return h(
      'tr',
      {
        'data-session-id': session.id,
        'data-status': session.status,
        'data-name': session.fileName,
      },
      h(
        'th',
        { scope: 'row', 'data-label': 'File', tabindex: -1 },
        h('span', { id: nameId }, session.fileName),
        error,
      ),
      h('td', { 'data-label': 'Size' }, formatBytes(session.fileSize)),
      h('td', { 'data-label': 'Status', class: 'status' }, SESSION_STATUS_LABELS[session.status]),
      h(
        'td',
        { 'data-label': 'Progress' },
        bar,
        h('span', { class: 'percent' }, ` ${session.status === 'uploaded' ? 100 : percent}%`),
      ),
      h('td', { 'data-label': 'Started' }, formatTime(session.createdAt)),
      h('td', { 'data-label': 'Actions', class: 'actions' }, ...this.actions(session)),
    );
  }

  private actions(session: UploadSession): HTMLElement[] {
    const { fileName: name, id } = session;
    if (session.status === 'uploaded') {
      const download = h(
        'button',
        { type: 'button', 'aria-label': `Download ${name}` },
        'Download',
      );
      const remove = h('button', { type: 'button', 'aria-label': `Delete ${name}` }, 'Delete');
      download.addEventListener('click', () => void this.download(session, download));
      remove.addEventListener('click', () => void this.deleteFile(session, remove));
      return [download, remove];
    }
    if (session.status === 'initiated' || session.status === 'uploading') {
      const cancel = h(
        'button',
        { type: 'button', 'aria-label': `Cancel the upload of ${name}` },
        'Cancel',
      );
      cancel.addEventListener('click', () => void this.cancel(id, name, cancel));
      return [cancel];
    }
    return [];
  }

  /** Asks for a fresh download URL (they expire) and opens it; a link if a pop-up is blocked. */
  private download(session: UploadSession, button: HTMLButtonElement): Promise<void> {
    return this.act(session.id, button, async () => {
      const { url } = await this.options.client().downloadUrl(session.id);
      const link = h(
        'a',
        { href: url, target: '_blank', rel: 'noopener', class: 'download-link' },
        `Open ${session.fileName}`,
      );
      button.replaceWith(link);
      link.focus();
      announce(`Download link for ${session.fileName} ready`);
    });
  }

  private async deleteFile(session: UploadSession, button: HTMLButtonElement): Promise<void> {
    if (!window.confirm(`Delete ${session.fileName}? This cannot be undone.`)) return;
    await this.act(session.id, button, async () => {
      await this.options.client().deleteFile(session.id);
      this.upsert({ ...session, status: 'deleted' });
      announce(`${session.fileName} deleted`);
    });
  }

  private cancel(id: string, name: string, button: HTMLButtonElement): Promise<void> {
    return this.act(id, button, async () => {
      const task = this.options.taskOf(id);
      if (task) await task.cancel();
      else await this.options.client().cancel(id);
      const line = this.lines.get(id);
      if (line) this.upsert({ ...line.session, status: 'cancelled' });
      announce(`The upload of ${name} was cancelled`);
    });
  }

  /** Runs a row's action with its button disabled (which drops its focus), then refocuses. */
  private async act(
    id: string,
    button: HTMLButtonElement,
    action: () => Promise<void>,
  ): Promise<void> {
    const spot = document.activeElement === button ? this.focusSpot(button) : undefined;
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      button.disabled = false;
      this.fail(id, error);
    }
    this.refocus(spot);
  }

  /** Which row control `control` (by default the focused element) is, if it is one. */
  private focusSpot(control = document.activeElement): FocusSpot | undefined {
    const row = control?.closest<HTMLElement>('tr[data-session-id]');
    if (!control || !row || !this.options.body.contains(row)) return undefined;
    return { sessionId: row.dataset.sessionId ?? '', name: controlName(control) };
  }

  /**
   * Gives focus lost in a redraw back to the row: to the control of the same name, else to the
   * file's name (a deleted file has no control). Focus moved elsewhere meanwhile stays there.
   */
  private refocus(spot: FocusSpot | undefined): void {
    const row = spot && this.lines.get(spot.sessionId)?.row;
    if (!spot || !row || !focusLost()) return;
    const controls = Array.from(row.querySelectorAll<HTMLElement>('button:enabled, a[href]'));
    (controls.find((c) => controlName(c) === spot.name) ?? row.querySelector('th'))?.focus();
  }

  private fail(id: string, error: unknown): void {
    const text = describeError(error);
    this.options.message.textContent = text;
    const cell = this.lines.get(id)?.row.querySelector('th');
    if (cell) {
      cell.querySelector('.error')?.remove();
      cell.append(h('p', { class: 'error' }, text));
    }
    announce(text);
  }

  /** Live progress of an active session, until it reaches a final status. */
  private watch(id: string): void {
    if (this.watches.has(id)) return;
    const w = watch(id, {
      apiUrl: this.options.apiUrl,
      token: this.options.token,
      ...(this.options.liveUrl ? { liveUrl: this.options.liveUrl } : {}),
    });
    this.watches.set(id, w);
    w.on('progress', (p) => {
      const line = this.lines.get(id);
      if (!line) return;
      const changed = p.status !== line.session.status;
      const session = {
        ...line.session,
        status: p.status,
        uploadedBytes: p.uploadedBytes,
        chunksUploaded: p.chunksUploaded,
      };
      this.modes.set(id, w.mode);
      if (changed) {
        this.upsert(session);
        return;
      }
      line.session = session;
      const bar = line.row.querySelector('progress');
      const text = line.row.querySelector('.percent');
      if (bar) {
        bar.value = p.percentComplete;
        bar.setAttribute(
          'aria-valuetext',
          `${formatBytes(p.uploadedBytes)} of ${formatBytes(p.totalSize)}`,
        );
      }
      if (text) text.textContent = ` ${Math.floor(p.percentComplete)}%`;
      this.drawMode(line.row, id);
    });
    w.on('mode', (mode) => {
      const line = this.lines.get(id);
      if (!this.modes.has(id) || mode === 'connecting' || !line) return;
      this.modes.set(id, mode);
      this.drawMode(line.row, id);
    });
    void w.closed.then(() => {
      if (this.watches.get(id) !== w) return;
      this.watches.delete(id);
      this.modes.delete(id);
    });
  }

  /** Marks a row followed live (`data-mode`, and "live" after its status). */
  private drawMode(row: HTMLTableRowElement, id: string): void {
    const mode = this.watches.has(id) ? this.modes.get(id) : undefined;
    if (!mode) return;
    row.dataset.mode = mode;
    const status = row.querySelector('.status');
    const label = SESSION_STATUS_LABELS[row.dataset.status as keyof typeof SESSION_STATUS_LABELS];
    const live = mode === 'socket' && ACTIVE.has(row.dataset.status ?? '');
    if (status && label) status.textContent = `${label}${live ? ' · live' : ''}`;
  }
}
