/** Files from the file and folder pickers, and from drag and drop (folders walked recursively). */
import type { PickedFile } from './uploads.ts';

/** A picked file's upload name: its path inside a picked folder, else its name. */
export const pickedName = (file: File): string => file.webkitRelativePath || file.name;

export const fromFileList = (files: FileList | null): PickedFile[] =>
  Array.from(files ?? [], (file) => file).map((file) => ({ file, name: pickedName(file) }));

const readEntries = (reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> =>
  new Promise((resolve, reject) => reader.readEntries(resolve, reject));

const entryFile = (entry: FileSystemFileEntry): Promise<File> =>
  new Promise((resolve, reject) => entry.file(resolve, reject));

async function walk(entry: FileSystemEntry, into: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await entryFile(entry as FileSystemFileEntry);
    into.push({ file, name: entry.fullPath.replace(/^\/+/, '') || file.name });
    return;
  }
  if (!entry.isDirectory) return;
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries answers in batches (100 in Chromium) until it answers none.
  for (let batch = await readEntries(reader); batch.length > 0; batch = await readEntries(reader))
    for (const child of batch) await walk(child, into);
}

/** What was dropped: files, and the files inside dropped folders with their paths. */
export async function fromDrop(data: DataTransfer): Promise<PickedFile[]> {
  // Entries must be taken synchronously, before the first await: the list empties afterwards.
  const entries = Array.from(data.items)
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.() ?? null);
  if (entries.some((entry) => entry === null)) return fromFileList(data.files);
  const picked: PickedFile[] = [];
  for (const entry of entries) if (entry) await walk(entry, picked);
  return picked;
}
