import { parseArgs } from 'node:util';
import { parseSize } from './format.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage: upload-api <command> [options]

commands:
  upload <file>            upload a file (re-run the same command to resume)
  status <id>              progress of a session
  list                     your sessions, newest first
  cancel <id>              cancel an unfinished session and release its stored parts
  delete <id>              delete the finished file of an uploaded session
  download <id> <path>     save a finished file to <path>

options:
  --api URL                server root (env UPLOAD_API_URL, default http://127.0.0.1:3000)
  --token TOKEN            bearer token (env UPLOAD_API_TOKEN)
  --concurrency N          parallel chunk uploads (default 4)
  --chunk-size BYTES       requested chunk size, e.g. 8388608 or 8MiB (server default 5 MiB)
  --content-type TYPE      content type of the uploaded file
  --no-checksum            do not sign chunks with their SHA-256
  --no-resume              neither resume nor remember this upload
  --status S, --limit N    list filters (active|uploaded|all, 1-100)
  --json                   list as JSON
  -h, --help               this text`;

export type Command =
  | { readonly name: 'help' }
  | {
      readonly name: 'upload';
      readonly file: string;
      readonly concurrency: number;
      readonly chunkSize: number | undefined;
      readonly contentType: string | undefined;
      readonly checksum: boolean;
      readonly resume: boolean;
    }
  | { readonly name: 'status' | 'cancel' | 'delete'; readonly id: string }
  | { readonly name: 'download'; readonly id: string; readonly path: string }
  | {
      readonly name: 'list';
      readonly status: 'active' | 'uploaded' | 'all';
      readonly limit: number;
      readonly json: boolean;
    };

export interface Connection {
  readonly apiUrl: string;
  readonly token: string | undefined;
}

const OPTIONS = {
  api: { type: 'string' },
  token: { type: 'string' },
  concurrency: { type: 'string' },
  'chunk-size': { type: 'string' },
  'content-type': { type: 'string' },
  'no-checksum': { type: 'boolean' },
  'no-resume': { type: 'boolean' },
  status: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ARITY: Record<string, string[]> = {
  upload: ['file'],
  status: ['id'],
  cancel: ['id'],
  delete: ['id'],
  download: ['id', 'path'],
  list: [],
};

/** The command line as a command and a connection; throws UsageError when it is wrong. */
export function parseCommandLine(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): { command: Command; connection: Connection } {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const connection = {
    apiUrl: values.api ?? env.UPLOAD_API_URL ?? 'http://127.0.0.1:3000',
    token: values.token ?? (env.UPLOAD_API_TOKEN || undefined),
  };
  const [name, ...rest] = positionals;
  if (values.help || name === undefined || name === 'help')
    return { command: { name: 'help' }, connection };
  const expected = ARITY[name];
  if (!expected) throw new UsageError(`unknown command "${name}"`);
  if (rest.length !== expected.length)
    throw new UsageError(
      `${name} takes ${expected.length ? expected.map((a) => `<${a}>`).join(' ') : 'no arguments'}`,
    );
  const [first = '', second = ''] = rest;
  switch (name) {
    case 'upload':
      return {
        command: {
          name,
          file: first,
          concurrency: integerOption('--concurrency', values.concurrency, 4, 1, 64),
          chunkSize:
            values['chunk-size'] === undefined ? undefined : sizeOption(values['chunk-size']),
          contentType: values['content-type'],
          checksum: !values['no-checksum'],
          resume: !values['no-resume'],
        },
        connection,
      };
    case 'status':
    case 'cancel':
    case 'delete':
      return { command: { name, id: first }, connection };
    case 'download':
      return { command: { name, id: first, path: second }, connection };
    default: {
      const status = values.status ?? 'all';
      if (status !== 'active' && status !== 'uploaded' && status !== 'all')
        throw new UsageError('--status must be active, uploaded or all');
      return {
        command: {
          name: 'list',
          status,
          limit: integerOption('--limit', values.limit, 20, 1, 100),
          json: values.json ?? false,
        },
        connection,
      };
    }
  }
}

function integerOption(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max))
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}`);
  return value;
}

function sizeOption(text: string): number {
  const size = parseSize(text);
  if (size === undefined || size < 1)
    throw new UsageError('--chunk-size must be a size in bytes, e.g. 8388608 or 8MiB');
  return size;
}
