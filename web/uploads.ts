/** The upload rows: one per file of the queue, with its progress, state and controls. */
import {
  isTerminal,
  type QueueProgress,
  type UploadQueue,
  type UploadTask,
} from '@upload-api/client';
import { announce, h } from './dom.ts';
import { formatBytes, formatEta, formatRate, TASK_STATE_LABELS } from './format.ts';
import { describeError } from './messages.ts';

export interface PickedFile {
  readonly file: File;
  /** The name the upload gets: the path inside a picked or dropped folder, else the file's name. */
  readonly name: string;
}

interface Row {
  readonly task: UploadTask;
  readonly element: HTMLLIElement;
  readonly bar: HTMLProgressElement;
  readonly state: HTMLElement;
  readonly detail: HTMLElement;
  readonly note: HTMLElement;
  readonly error: HTMLElement;
  readonly pause: HTMLButtonElement;
  readonly resume: HTMLButtonElement;
  readonly cancel: HTMLButtonElement;
}

export interface UploadsViewOptions {
  readonly queue: UploadQueue;
  readonly list: HTMLElement;
  readonly totals: HTMLElement;
  readonly totalBar: HTMLProgressElement;
  /** A task got a session or ended: the sessions list may have changed. */
  readonly onChange: () => void;
}

export class UploadsView {
  private readonly rows: Row[] = [];
  private readonly options: UploadsViewOptions;

  constructor(options: UploadsViewOptions) {
    this.options = options;
    options.queue.on('progress', (p) => this.drawTotals(p));
  }

  get tasks(): readonly UploadTask[] {
    return this.rows.map((r) => r.task);
  }

  /** The task of this page uploading to a session, if any. */
  taskOf(sessionId: string): UploadTask | undefined {
    return this.rows.find((r) => r.task.sessionId === sessionId && !isTerminal(r.task.state))?.task;
  }

  add(files: readonly PickedFile[]): void {
    for (const { file, name } of files) {
      const task = this.options.queue.add(file, {
        fileName: name,
        ...(file.type ? { contentType: file.type } : {}),
      });
      this.addRow(task);
    }
    announce(
      files.length === 1 ? `${files[0]?.name} added` : `${files.length} files added to the uploads`,
    );
    this.drawTotals(this.options.queue.progress);
  }

  /** Removes the rows of files that ended. */
  clearFinished(): void {
    for (const row of [...this.rows]) {
      if (!isTerminal(row.task.state)) continue;
      row.element.remove();
      this.rows.splice(this.rows.indexOf(row), 1);
    }
  }

  private addRow(task: UploadTask): void {
    const id = `upload-${this.rows.length + 1}-${Date.now().toString(36)}`;
    const label = (verb: string) => `${verb} ${task.name}`;
    const bar = h('progress', { max: 100, value: 0, 'aria-labelledby': `${id}-name` });
    const state = h('span', { class: 'state' });
    const detail = h('span', { class: 'detail' });
    const note = h('p', { class: 'note', hidden: true });
    const error = h('p', { class: 'error', hidden: true });
    const pause = h('button', { type: 'button', 'aria-label': label('Pause') }, 'Pause');
    const resume = h('button', { type: 'button', 'aria-label': label('Resume') }, 'Resume');
    const cancel = h('button', { type: 'button', 'aria-label': label('Cancel') }, 'Cancel');
    const element = h(
      'li',
      { class: 'upload', 'data-name': task.name },
      h(
        'div',
        { class: 'upload-head' },
        // Focusable by script: focus goes to the name once the row has no control left.
        h('span', { class: 'name', id: `${id}-name`, tabindex: -1 }, task.name),
        h('span', { class: 'size' }, formatBytes(task.size)),
        state,
      ),
      bar,
      h(
        'div',
        { class: 'upload-foot' },
        detail,
        h('span', { class: 'actions' }, pause, resume, cancel),
      ),
      note,
      error,
    );
    const row: Row = { task, element, bar, state, detail, note, error, pause, resume, cancel };
    this.rows.push(row);
    this.options.list.append(element);

    pause.addEventListener('click', () => task.pause());
    resume.addEventListener('click', () => task.resume());
    cancel.addEventListener('click', () => {
      task.cancel().catch((reason: unknown) => this.showError(row, reason));
    });
    task.on('progress', () => this.drawProgress(row));
    task.on('session', (session) => {
      if (session.resumed) {
        const stored = session.totalChunks - session.missingChunks;
        note.textContent = `Resuming: ${stored} of ${session.totalChunks} parts were already stored; sending the other ${session.missingChunks}.`;
        note.hidden = false;
      }
      element.dataset.sessionId = session.sessionId;
      this.options.onChange();
    });
    task.on('statechange', ({ to }) => {
      this.drawState(row);
      if (to === 'succeeded') announce(`${task.name} uploaded`);
      else if (to === 'paused') announce(`${task.name} paused`);
      else if (to === 'cancelled') announce(`${task.name} cancelled`);
      if (isTerminal(to)) this.options.onChange();
    });
    task.on('error', (reason) => {
      this.showError(row, reason);
      announce(`${task.name}: ${describeError(reason)}`);
    });
    this.drawState(row);
  }

  private showError(row: Row, reason: unknown): void {
    if (row.task.state === 'cancelled' && !(reason instanceof Error && 'code' in reason)) return;
    row.error.textContent = describeError(reason);
    row.error.hidden = false;
  }

  private drawState(row: Row): void {
    const { task } = row;
    row.element.dataset.state = task.state;
    row.state.textContent = TASK_STATE_LABELS[task.state];
    const ended = isTerminal(task.state);
    // Read before hiding: Chromium blurs a focused button the moment it is hidden.
    const focused = document.activeElement;
    row.pause.hidden = task.state !== 'running' && task.state !== 'queued';
    row.resume.hidden = task.state !== 'paused';
    row.cancel.hidden = ended;
    // A pressed button that is now hidden would drop keyboard focus to the page: move it along.
    if (focused instanceof HTMLButtonElement && focused.hidden && row.element.contains(focused))
      (
        [row.resume, row.pause, row.cancel].find((b) => !b.hidden) ??
        row.element.querySelector<HTMLElement>('.name')
      )?.focus();
    if (task.state === 'succeeded') row.bar.value = 100;
    if (task.state !== 'running') row.detail.textContent = this.sentText(row);
  }

  private sentText(row: Row): string {
    const p = row.task.progress;
    if (row.task.state === 'succeeded') return `${formatBytes(row.task.size)} stored`;
    if (!p) return '';
    return `${formatBytes(p.sentBytes)} of ${formatBytes(p.totalBytes)}`;
  }

  private drawProgress(row: Row): void {
    const p = row.task.progress;
    if (!p) return;
    const percent = p.totalBytes > 0 ? (100 * p.sentBytes) / p.totalBytes : 100;
    row.bar.value = percent;
    row.bar.setAttribute(
      'aria-valuetext',
      `${Math.floor(percent)}%, ${formatBytes(p.sentBytes)} of ${formatBytes(p.totalBytes)}`,
    );
    row.element.dataset.percent = String(Math.floor(percent));
    row.element.dataset.chunksUploaded = String(p.chunksUploaded);
    const running = row.task.state === 'running';
    row.detail.textContent = [
      this.sentText(row),
      running ? formatRate(p.bytesPerSecond) : '',
      running && p.sentBytes < p.totalBytes ? formatEta(p.etaSeconds) : '',
    ]
      .filter(Boolean)
      .join(' · ');
  }

  private drawTotals(p: QueueProgress): void {
    const { totals, totalBar } = this.options;
    const running = p.states.running;
    const waiting = p.states.queued;
    const paused = p.states.paused;
    if (p.tasks === 0) {
      totals.textContent = 'No uploads yet.';
      totalBar.value = 0;
      return;
    }
    totalBar.value = p.totalBytes > 0 ? (100 * p.sentBytes) / p.totalBytes : 100;
    const counts = [
      running ? `${running} uploading` : '',
      waiting ? `${waiting} waiting` : '',
      paused ? `${paused} paused` : '',
      p.states.succeeded ? `${p.states.succeeded} done` : '',
      p.states.rejected + p.states.errored + p.states.timedOut
        ? `${p.states.rejected + p.states.errored + p.states.timedOut} failed`
        : '',
    ].filter(Boolean);
    totals.textContent = [
      `${formatBytes(p.sentBytes)} of ${formatBytes(p.totalBytes)}`,
      running ? formatRate(p.bytesPerSecond) : '',
      running ? formatEta(p.etaSeconds) : '',
      counts.join(', '),
    ]
      .filter(Boolean)
      .join(' · ');
  }
}
