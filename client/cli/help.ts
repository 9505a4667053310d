/** The CLI's help texts: one overview and one page per command. */
import { LOGIN_USAGE, LOGOUT_USAGE } from './auth.ts';

export const USAGE = `usage: upload-api <command> [options]

commands:
  upload <paths...>        upload files and folders (re-run the same command to resume)
  status <id>              progress of an upload: bytes, chunks, speed, ETA
  list                     your uploads, newest first
  download <id>            save a finished file (into the current folder by default)
  cancel <id> | --all      cancel unfinished uploads and release their stored parts
  delete <id>              delete the finished file of an upload
  watch <id>               follow an upload running elsewhere, live: bytes, speed, ETA
  login                    sign in and remember the credentials
  logout                   forget the remembered credentials
  help [command]           this text, or a command's options

<id> is the session id or the file id the CLI printed.

global options:
  --api URL                server root (env UPLOAD_API_URL, default http://127.0.0.1:3000)
  --token TOKEN            bearer token (env UPLOAD_API_TOKEN)
  --token-command CMD      a command that prints a bearer token (env UPLOAD_API_TOKEN_COMMAND)
  -h, --help               help (upload-api <command> --help for a command's options)
  -V, --version            the client's version

Without --token or --token-command, the credentials stored by \`upload-api login\` are used.`;

export const COMMAND_HELP = {
  upload: `usage: upload-api upload <paths...> [options]

Uploads files and folders; folders are walked recursively. Paths are relative to the current
folder. Each file is uploaded as its path relative to the folder that holds the argument
(\`upload photos\` uploads photos/2024/a.jpg as "photos/2024/a.jpg"; \`upload a.txt\` as "a.txt").
Interrupted uploads (Ctrl-C, a lost connection) are remembered: running the same command again
resumes each unfinished file and sends only the chunks storage does not hold yet.

options:
  --include GLOB           in folders, upload only the files that match (repeatable)
  --exclude GLOB           in folders, skip the files and folders that match (repeatable;
                           wins over --include)
  --files N                files uploaded in parallel (default 2, 1-32)
  --concurrency N          chunk uploads in flight across all files (default 4, 1-64)
  --chunk-size SIZE        requested chunk size, e.g. 8388608 or 8MiB (server default 5 MiB)
  --content-type TYPE      content type of every file (default: from each file's extension)
  --timeout DURATION       give up a file that takes longer, e.g. 90s, 30m, 2h (default none)
  --no-checksum            do not sign chunks with their SHA-256
  --no-resume              neither resume nor remember these uploads
  --dry-run                list what would be uploaded, and upload nothing
  --json                   one JSON line per finished file on stdout, then a summary line

Globs match the path relative to the folder given on the command line, with / between folders
(\`*\` stays within a folder, \`**\` crosses folders); a pattern without a slash matches the name
at any depth (\`--include '*.jpg'\`, \`--exclude node_modules\`). Hidden files are uploaded like
any other (\`--exclude '.*'\` leaves them out); symbolic links to folders are not followed. Files
named on the command line are always uploaded.

Progress (each running file and the total, with speed and ETA) goes to stderr: redrawn lines on
a terminal, a few lines every few seconds otherwise. At the end, a summary of every file's
outcome: succeeded, cancelled, timed out, rejected by the server, or errored.

When the API or storage cannot be reached, each request is retried for about 2 minutes
(env UPLOAD_API_RETRY_MS sets that budget in milliseconds); then the sessions are kept and
the same command resumes them. The resume state lives in ~/.upload-api/sessions.json
(env UPLOAD_API_STATE).

exit codes: 0 every file succeeded, 1 any file did not, 2 usage, 130 interrupted (Ctrl-C)`,

  status: `usage: upload-api status <id> [--json]

Shows an upload's file, status, chunks, bytes and percent. An unfinished upload is measured
twice, 2 seconds apart, for its speed and ETA; one that is not moving (paused, interrupted)
shows no ETA.

options:
  --json                   the server's progress answer as JSON, unchanged`,

  list: `usage: upload-api list [--status active|uploaded|all] [--limit N] [--json]

Your uploads, newest first, as a table: id, file id, status, progress, created, name.

options:
  --status S               active (unfinished and not expired), uploaded, or all (default)
  --limit N                at most N uploads (default 100, 1-10000)
  --json                   one JSON line per upload`,

  download: `usage: upload-api download <id> [--out PATH] [--force]

Saves a finished file. Into the current folder by default, under the file's name; --out names
a folder (existing, or ending in /) to save into, or the file to write. An existing file is
never overwritten without --force. The bytes go to a temporary file first, renamed into place
once complete.

options:
  --out PATH               a folder, or the file to write (also accepted as a second argument)
  --force                  overwrite an existing file`,

  cancel: `usage: upload-api cancel <id>
       upload-api cancel --all

Cancels unfinished uploads: the server aborts them and releases their stored parts.

options:
  --all                    every unfinished upload of yours`,

  delete: `usage: upload-api delete <id>

Deletes the finished file of an upload; the upload's status becomes "deleted".`,

  watch: `usage: upload-api watch <id> [--live-url URL] [--json] [--poll]

Follows an upload that runs elsewhere (another terminal, machine or browser) until it ends:
its bytes, percent, speed and ETA, on one line redrawn on a terminal, or a plain line every
few seconds otherwise (env UPLOAD_API_PROGRESS_MS). Progress comes over the API's WebSocket,
pushed as chunks are recorded; when no socket can be opened (or this Node has no WebSocket:
Node 22+ has one) the progress is polled every 2 seconds instead, and the socket tried again
now and then. The last line says how the upload ended.

options:
  --live-url URL           the WebSocket URL: a deployed stack's LiveUrl output
                           (env UPLOAD_API_LIVE_URL; default: the API URL's /api/v1/live,
                           where the local server answers)
  --json                   one JSON line per progress message on stdout
                           ({"type":"progress","sessionId","mode","data"}: data as GET
                           /progress answers it), then {"type":"final","status","exitCode",...}
  --poll                   poll the progress instead of opening a WebSocket

exit codes: 0 uploaded, 1 failed, cancelled, expired or deleted (or an error), 2 usage,
130 interrupted (Ctrl-C)`,

  login: LOGIN_USAGE,

  logout: LOGOUT_USAGE,

  help: `usage: upload-api help [command]

The overview, or a command's usage and options.`,
} as const;

export type CommandName = keyof typeof COMMAND_HELP;

export const isCommandName = (name: string): name is CommandName =>
  Object.hasOwn(COMMAND_HELP, name);

/** The overview, or one command's page. */
export const helpText = (command?: CommandName): string =>
  command ? COMMAND_HELP[command] : USAGE;
