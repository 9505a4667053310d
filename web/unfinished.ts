/**
 * Uploads an earlier visit left unfinished, as the SDK's localStorage resume store remembers
 * them. A page cannot read a file again by itself: the user selects it again, and the SDK then
 * resumes its session, sending only the chunks storage lacks.
 */
import {
  apiBaseUrl,
  fingerprint,
  type StoredUpload,
  type UploadApiClient,
  UploadApiError,
} from '@upload-api/client';
import { announce, h } from './dom.ts';
import { formatBytes, formatTime, SESSION_STATUS_LABELS } from './format.ts';
import { describeError } from './messages.ts';
import type { PickedFile } from './uploads.ts';

/** The prefix of the page's resume store in localStorage. */
export const STORE_PREFIX = 'upload-page:resume:';

export interface Unfinished {
  /** The localStorage key. */
  readonly storageKey: string;
  readonly stored: StoredUpload;
}

/** The unfinished uploads the store knows for this API. */
export function unfinishedUploads(apiUrl: string): Unfinished[] {
  const base = apiBaseUrl(apiUrl);
  const found: Unfinished[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const storageKey = localStorage.key(i);
    if (!storageKey?.startsWith(STORE_PREFIX)) continue;
    try {
      const key = JSON.parse(storageKey.slice(STORE_PREFIX.length)) as unknown[];
      const stored = JSON.parse(localStorage.getItem(storageKey) ?? 'null') as StoredUpload | null;
      if (key[1] !== base || !stored || typeof stored.sessionId !== 'string') continue;
      found.push({ storageKey, stored });
    } catch {
      // not one of ours
    }
  }
  return found.sort((a, b) => a.stored.createdAt.localeCompare(b.stored.createdAt));
}

export interface UnfinishedViewOptions {
  readonly apiUrl: string;
  readonly client: () => UploadApiClient;
  readonly section: HTMLElement;
  readonly list: HTMLElement;
  /** Upload these files (the same files again: the SDK resumes their sessions). */
  readonly upload: (files: readonly PickedFile[]) => void;
}

const GONE = new Set(['SESSION_NOT_FOUND', 'SESSION_EXPIRED', 'SESSION_CANCELLED', 'FILE_DELETED']);

export class UnfinishedView {
  private readonly options: UnfinishedViewOptions;
  private readonly items = new Map<string, HTMLLIElement>();

  constructor(options: UnfinishedViewOptions) {
    this.options = options;
  }

  /** Lists what the store knows, asking the server how far each session got. */
  async show(): Promise<void> {
    const { list, section } = this.options;
    list.replaceChildren();
    this.items.clear();
    const entries = unfinishedUploads(this.options.apiUrl);
    for (const entry of entries) this.addItem(entry);
    section.hidden = this.items.size === 0;
    await Promise.all(entries.map((entry) => this.check(entry)));
    section.hidden = this.items.size === 0;
  }

  /** Files picked anywhere on the page that continue an unfinished upload leave this list. */
  picked(files: readonly PickedFile[]): void {
    for (const { file, name } of files) {
      const key =
        STORE_PREFIX +
        fingerprint({
          apiUrl: this.options.apiUrl,
          name,
          size: file.size,
          lastModified: file.lastModified,
        });
      this.remove(key);
    }
  }

  private remove(storageKey: string): void {
    this.items.get(storageKey)?.remove();
    this.items.delete(storageKey);
    this.options.section.hidden = this.items.size === 0;
  }

  private addItem({ storageKey, stored }: Unfinished): void {
    const id = `unfinished-${this.items.size + 1}`;
    const status = h('span', { class: 'status' }, 'checking…');
    const message = h('p', { class: 'error', hidden: true });
    const input = h('input', { type: 'file', id: `${id}-file`, class: 'reselect' });
    const discard = h(
      'button',
      { type: 'button', 'aria-label': `Discard the unfinished upload of ${stored.fileName}` },
      'Discard',
    );
    const item = h(
      'li',
      { class: 'unfinished', 'data-name': stored.fileName, 'data-session-id': stored.sessionId },
      h(
        'div',
        { class: 'upload-head' },
        h('span', { class: 'name' }, stored.fileName),
        h('span', { class: 'size' }, formatBytes(stored.fileSize)),
        status,
      ),
      h('p', { class: 'hint' }, `Started ${formatTime(stored.createdAt)}.`),
      h(
        'div',
        { class: 'reselect-row' },
        h('label', { for: input.id }, `Select ${stored.fileName} again to resume`),
        input,
        discard,
      ),
      message,
    );
    this.items.set(storageKey, item);
    this.options.list.append(item);

    input.addEventListener('change', () => {
      const file = input.files?.[0];
      input.value = '';
      if (!file) return;
      if (file.size !== stored.fileSize) {
        message.textContent = `That file is ${formatBytes(file.size)}, not the ${formatBytes(stored.fileSize)} of ${stored.fileName}: select the same file.`;
        message.hidden = false;
        announce(message.textContent);
        return;
      }
      this.remove(storageKey);
      this.options.upload([{ file, name: stored.fileName }]);
      announce(`Resuming ${stored.fileName}`);
    });
    discard.addEventListener('click', () => {
      discard.disabled = true;
      this.options
        .client()
        .cancel(stored.sessionId)
        .catch((error: unknown) => {
          if (
            !(error instanceof UploadApiError) ||
            (!GONE.has(error.code) && error.code !== 'INVALID_STATE')
          )
            throw error;
        })
        .then(() => {
          localStorage.removeItem(storageKey);
          this.remove(storageKey);
          announce(`Discarded the unfinished upload of ${stored.fileName}`);
        })
        .catch((error: unknown) => {
          discard.disabled = false;
          message.textContent = describeError(error);
          message.hidden = false;
        });
    });
  }

  /** Shows how far the session got; forgets sessions that cannot be resumed any more. */
  private async check({ storageKey, stored }: Unfinished): Promise<void> {
    const item = this.items.get(storageKey);
    const status = item?.querySelector('.status');
    if (!item || !status) return;
    try {
      const session = await this.options.client().get(stored.sessionId);
      if (session.status === 'initiated' || session.status === 'uploading') {
        status.textContent = `${formatBytes(session.uploadedBytes)} of ${formatBytes(session.fileSize)} stored`;
        return;
      }
      status.textContent = SESSION_STATUS_LABELS[session.status];
      if (session.status === 'uploaded' || session.status === 'deleted') {
        localStorage.removeItem(storageKey);
        this.remove(storageKey);
      }
    } catch (error) {
      if (error instanceof UploadApiError && GONE.has(error.code)) {
        // Nothing to resume: selecting the file again starts it over.
        status.textContent = `${describeError(error)} Selecting it again starts over.`;
        return;
      }
      status.textContent = describeError(error);
    }
  }
}
