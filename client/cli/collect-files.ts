/**
 * What `upload <paths...>` uploads: the files named, and every file under the folders named
 * (walked recursively, filtered by --include/--exclude), each with the name it is uploaded as
 * and its content type.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import mime from 'mime';
import picomatch from 'picomatch';

export interface LocalFile {
  /** Absolute path on disk. */
  readonly path: string;
  /** The name it is uploaded as: its path from the folder holding the argument, with `/`. */
  readonly name: string;
  /** As the user would type it: relative to the current folder when inside it. */
  readonly display: string;
  readonly size: number;
  readonly lastModified: number;
  readonly contentType: string;
}

export interface CollectOptions {
  /** The caller's current folder: relative arguments start there. */
  readonly cwd: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Overrides the type found from each file's extension. */
  readonly contentType?: string | undefined;
}

export interface Collected {
  readonly files: LocalFile[];
  /** Files under the folders that --include/--exclude left out. */
  readonly filtered: number;
  /** Folders --exclude left out (their files are not counted in `filtered`). */
  readonly filteredFolders: number;
  /** Things the walk did not upload and why (symlinked folders, sockets...). */
  readonly skipped: string[];
}

/** A path the user named that is missing or unreadable. */
export class PathError extends Error {
  override readonly name = 'PathError';
}

const DEFAULT_TYPE = 'application/octet-stream';

/** The content type of a file name, from its extension (application/octet-stream if unknown). */
export const contentTypeOf = (name: string): string => mime.getType(name) ?? DEFAULT_TYPE;

/**
 * Glob matching with picomatch (`dot`: hidden files match like any other). A pattern without a
 * slash matches the last segment at any depth (`*.jpg`, `node_modules`); one with a slash matches
 * the whole relative path (`raw/` followed by `**`, say). picomatch's own `basename` option would
 * also apply to patterns with slashes, so the two kinds are split here.
 */
export function globMatcher(patterns: readonly string[]): (path: string) => boolean {
  const names = patterns.filter((p) => !p.includes('/'));
  const paths = patterns.filter((p) => p.includes('/'));
  const byName = names.length > 0 ? picomatch(names, { dot: true }) : () => false;
  const byPath = paths.length > 0 ? picomatch(paths, { dot: true }) : () => false;
  return (path) => byPath(path) || byName(path.slice(path.lastIndexOf('/') + 1));
}

export async function collectFiles(
  args: readonly string[],
  options: CollectOptions,
): Promise<Collected> {
  const included = options.include.length > 0 ? globMatcher(options.include) : () => true;
  const excluded = globMatcher(options.exclude);
  const files: LocalFile[] = [];
  const skipped: string[] = [];
  let filtered = 0;
  let filteredFolders = 0;
  const seen = new Set<string>();
  const add = (path: string, name: string, size: number, mtimeMs: number) => {
    if (seen.has(path)) return; // named twice, or inside two folders named
    seen.add(path);
    files.push({
      path,
      name,
      display: displayPath(path, options.cwd),
      size,
      lastModified: Math.trunc(mtimeMs),
      contentType: options.contentType ?? contentTypeOf(name),
    });
  };

  for (const arg of args) {
    const path = resolve(options.cwd, arg);
    const stats = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new PathError(
        error.code === 'ENOENT'
          ? `no such file: ${arg}`
          : `cannot read ${arg}: ${error.code ?? error.message}`,
      );
    });
    const root = basename(path) || path;
    if (stats.isFile()) {
      add(path, root, stats.size, stats.mtimeMs);
      continue;
    }
    if (!stats.isDirectory()) throw new PathError(`not a file or folder: ${arg}`);
    // Depth first, each folder's entries in name order, so runs list files in the same order.
    const walk = async (folder: string): Promise<void> => {
      const entries = await readdir(folder, { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const full = join(folder, entry.name);
        const within = relative(path, full).split(sep).join('/');
        const kind = await kindOf(entry, full);
        if (kind === 'folder') {
          if (excluded(within)) {
            filteredFolders++;
            continue;
          }
          await walk(full);
        } else if (kind === 'file') {
          if (!included(within) || excluded(within)) {
            filtered++;
            continue;
          }
          const file = await stat(full);
          add(full, `${root}/${within}`, file.size, file.mtimeMs);
        } else {
          skipped.push(`${displayPath(full, options.cwd)} (${kind})`);
        }
      }
    };
    await walk(path);
  }
  return { files, filtered, filteredFolders, skipped };
}

/** A file, a folder, or why the walk leaves it alone (symlinked folders are not followed). */
async function kindOf(entry: Dirent, full: string): Promise<'file' | 'folder' | string> {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'folder';
  if (entry.isSymbolicLink()) {
    const target = await stat(full).catch(() => undefined);
    if (target?.isFile()) return 'file';
    return target?.isDirectory() ? 'symlinked folder, not followed' : 'broken symlink';
  }
  return 'not a regular file';
}

/** Relative to `cwd` when inside it, else absolute. */
function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? rel : path;
}

/** Names that more than one file would be uploaded as: each would resume the other's session. */
export function duplicateNames(files: readonly LocalFile[]): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const file of files) byName.set(file.name, [...(byName.get(file.name) ?? []), file.display]);
  return new Map([...byName].filter(([, paths]) => paths.length > 1));
}
