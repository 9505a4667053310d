import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseDuration, parseSize } from './format.ts';
import { type CommandName, isCommandName } from './help.ts';

export { USAGE } from './help.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose usage was wrong, for the `--help` hint. */
  readonly command: CommandName | undefined;

  constructor(message: string, command?: CommandName) {
    super(message);
    this.command = command;
  }
}

export type ListStatus = 'active' | 'uploaded' | 'all';

export interface UploadCommand {
  readonly name: 'upload';
  readonly paths: readonly string[];
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Files uploaded in parallel. */
  readonly files: number;
  /** Chunk PUTs in flight across all files. */
  readonly concurrency: number;
  readonly chunkSize: number | undefined;
  readonly contentType: string | undefined;
  readonly timeoutMs: number | undefined;
  readonly checksum: boolean;
  readonly resume: boolean;
  readonly dryRun: boolean;
  readonly json: boolean;
}

export interface WatchCommand {
  readonly name: 'watch';
  readonly id: string;
  /** --live-url, else UPLOAD_API_LIVE_URL; undefined: the SDK's default for the API URL. */
  readonly liveUrl: string | undefined;
  readonly json: boolean;
  /** Poll GET /progress instead of opening a WebSocket. */
  readonly poll: boolean;
}

export type Command =
  | { readonly name: 'help'; readonly topic?: CommandName }
  | { readonly name: 'version' }
  | UploadCommand
  | { readonly name: 'status'; readonly id: string; readonly json: boolean }
  | { readonly name: 'delete'; readonly id: string }
  | WatchCommand
  | { readonly name: 'cancel'; readonly id: string | undefined; readonly all: boolean }
  | {
      readonly name: 'download';
      readonly id: string;
      readonly out: string | undefined;
      readonly force: boolean;
    }
  | {
      readonly name: 'list';
      readonly status: ListStatus;
      readonly limit: number;
      readonly json: boolean;
    }
  | { readonly name: 'login'; readonly args: readonly string[] }
  | { readonly name: 'logout'; readonly args: readonly string[] };

export interface Connection {
  /** --api, else UPLOAD_API_URL; undefined: the URL `login --api` remembered, or the default. */
  readonly apiUrl: string | undefined;
  /** --token (UPLOAD_API_TOKEN is read with the other sources, in credentials.ts). */
  readonly token: string | undefined;
  /** --token-command (likewise UPLOAD_API_TOKEN_COMMAND). */
  readonly tokenCommand: string | undefined;
}

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

type Options = NonNullable<ParseArgsConfig['options']>;

const GLOBAL = {
  api: { type: 'string' },
  token: { type: 'string' },
  'token-command': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies Options;

/** Each command's own options, beside the global ones. */
const COMMAND_OPTIONS = {
  upload: {
    include: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    files: { type: 'string' },
    concurrency: { type: 'string' },
    'chunk-size': { type: 'string' },
    'content-type': { type: 'string' },
    timeout: { type: 'string' },
    'no-checksum': { type: 'boolean' },
    'no-resume': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  status: { json: { type: 'boolean' } },
  list: { status: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  download: { out: { type: 'string', short: 'o' }, force: { type: 'boolean', short: 'f' } },
  cancel: { all: { type: 'boolean' } },
  watch: { 'live-url': { type: 'string' }, json: { type: 'boolean' }, poll: { type: 'boolean' } },
  delete: {},
  login: {},
  logout: {},
  help: {},
} as const satisfies Record<CommandName, Options>;

/** Every option any command knows, to find the command before parsing strictly. */
const ALL_OPTIONS: Options = Object.assign({}, GLOBAL, ...Object.values(COMMAND_OPTIONS));

/** The command line as a command and a connection; throws UsageError when it is wrong. */
export function parseCommandLine(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): { command: Command; connection: Connection } {
  const name = findCommand(argv);
  if (name !== undefined && !isCommandName(name)) throw new UsageError(`unknown command "${name}"`);
  // login and logout parse their own options (auth.ts); only the global ones are read here.
  const passThrough = name === 'login' || name === 'logout';
  const { values, positionals } = parse(argv, name, passThrough);
  const connection: Connection = {
    apiUrl: str(values.api) ?? (env.UPLOAD_API_URL || undefined),
    token: str(values.token),
    tokenCommand: str(values['token-command']),
  };
  const rest = positionals.slice(1);
  if (values.help && name !== undefined && name !== 'help' && !passThrough)
    return { command: { name: 'help', topic: name }, connection };
  if (values.version && !passThrough) return { command: { name: 'version' }, connection };
  if (name === undefined) return { command: { name: 'help' }, connection };
  if (name === 'help') {
    const [topic, ...extra] = rest;
    if (extra.length > 0) throw new UsageError('help takes at most one command', 'help');
    if (topic !== undefined && !isCommandName(topic))
      throw new UsageError(`unknown command "${topic}"`, 'help');
    return { command: topic ? { name: 'help', topic } : { name: 'help' }, connection };
  }
  return { command: commandOf(name, rest, values, argv, env), connection };
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The first positional argument, skipping options and their values. */
function findCommand(argv: readonly string[]): string | undefined {
  const { positionals } = parseArgs({
    args: [...argv],
    options: ALL_OPTIONS,
    allowPositionals: true,
    strict: false,
  });
  return positionals[0];
}

function parse(
  argv: readonly string[],
  name: CommandName | undefined,
  passThrough: boolean,
): { values: Values; positionals: string[] } {
  if (passThrough) {
    // Only the global options before the command are ours; the rest belongs to auth.ts.
    const at = argv.indexOf(name as string);
    try {
      const before = parseArgs({
        args: argv.slice(0, at),
        options: GLOBAL,
        allowPositionals: false,
        strict: true,
      });
      return { values: before.values as Values, positionals: [...argv.slice(at)] };
    } catch (error) {
      throw new UsageError(firstSentence((error as Error).message));
    }
  }
  try {
    const options = { ...GLOBAL, ...(name ? COMMAND_OPTIONS[name] : {}) };
    const parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(firstSentence((error as Error).message), name);
  }
}

function commandOf(
  name: Exclude<CommandName, 'help'>,
  rest: string[],
  values: Values,
  argv: readonly string[],
  env: Record<string, string | undefined>,
): Command {
  const one = (what: string): string => {
    if (rest.length !== 1) throw new UsageError(`${name} takes exactly one <${what}>`, name);
    return rest[0] as string;
  };
  switch (name) {
    case 'upload':
      if (rest.length === 0) throw new UsageError('upload takes at least one file or folder', name);
      return {
        name,
        paths: rest,
        include: strings(values.include),
        exclude: strings(values.exclude),
        files: integerOption(name, '--files', values.files, 2, 1, 32),
        concurrency: integerOption(name, '--concurrency', values.concurrency, 4, 1, 64),
        chunkSize:
          values['chunk-size'] === undefined ? undefined : sizeOption(values['chunk-size']),
        contentType: str(values['content-type']),
        timeoutMs: values.timeout === undefined ? undefined : durationOption(values.timeout),
        checksum: !values['no-checksum'],
        resume: !values['no-resume'],
        dryRun: values['dry-run'] === true,
        json: values.json === true,
      };
    case 'status':
      return { name, id: one('id'), json: values.json === true };
    case 'delete':
      return { name, id: one('id') };
    case 'watch':
      return {
        name,
        id: one('id'),
        liveUrl:
          str(values['live-url']) !== undefined
            ? liveUrlOption('--live-url', str(values['live-url']))
            : liveUrlOption('UPLOAD_API_LIVE_URL', env.UPLOAD_API_LIVE_URL || undefined),
        json: values.json === true,
        poll: values.poll === true,
      };
    case 'cancel':
      if (values.all === true) {
        if (rest.length > 0) throw new UsageError('cancel takes either <id> or --all', name);
        return { name, id: undefined, all: true };
      }
      return { name, id: one('id'), all: false };
    case 'download': {
      if (rest.length < 1 || rest.length > 2)
        throw new UsageError('download takes <id> and at most one output path', name);
      const [id, path] = rest as [string, string | undefined];
      if (path !== undefined && values.out !== undefined)
        throw new UsageError('download takes the output path once: as --out or as an argument');
      return { name, id, out: path ?? str(values.out), force: values.force === true };
    }
    case 'list': {
      if (rest.length > 0) throw new UsageError('list takes no arguments', name);
      const status = str(values.status) ?? 'all';
      if (status !== 'active' && status !== 'uploaded' && status !== 'all')
        throw new UsageError('--status must be active, uploaded or all', name);
      return {
        name,
        status,
        limit: integerOption(name, '--limit', values.limit, 100, 1, 10_000),
        json: values.json === true,
      };
    }
    case 'login':
    case 'logout':
      return { name, args: argv.slice(argv.indexOf(name) + 1) };
  }
}

const str = (value: Values[string]): string | undefined =>
  typeof value === 'string' ? value : undefined;

const strings = (value: Values[string]): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** parseArgs explains how to pass a positional starting with '-'; the first sentence suffices. */
const firstSentence = (message: string): string =>
  (message.split(/\.\s/)[0] ?? message).replace(/\.$/, '');

function integerOption(
  command: CommandName,
  flag: string,
  value: Values[string],
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const text = String(value);
  const number = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(number >= min && number <= max))
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}`, command);
  return number;
}

function liveUrlOption(source: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== 'ws:' && url?.protocol !== 'wss:')
    throw new UsageError(`${source} must be a ws:// or wss:// URL (the LiveUrl output)`, 'watch');
  return value;
}

function sizeOption(value: Values[string]): number {
  const size = parseSize(String(value));
  if (size === undefined || size < 1)
    throw new UsageError('--chunk-size must be a size in bytes, e.g. 8388608 or 8MiB', 'upload');
  return size;
}

function durationOption(value: Values[string]): number {
  const ms = parseDuration(String(value));
  if (ms === undefined || ms < 1)
    throw new UsageError('--timeout must be a duration, e.g. 90s, 30m or 2h', 'upload');
  return ms;
}
