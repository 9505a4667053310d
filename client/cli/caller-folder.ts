/**
 * The folder the user called the CLI from, which relative paths start at. That is the current
 * folder, except under this project's own `npm run cli`: npm runs scripts in the package's
 * folder and passes the folder it was called from as INIT_CWD.
 */
const OWN_PACKAGES = new Set(['resumable-upload-api', '@upload-api/client']);

export function callerFolder(cwd: string, env: Record<string, string | undefined>): string {
  const ownScript =
    env.npm_lifecycle_event !== undefined && OWN_PACKAGES.has(env.npm_package_name ?? '');
  return ownScript && env.INIT_CWD ? env.INIT_CWD : cwd;
}
