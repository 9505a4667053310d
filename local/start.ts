import { createServer } from 'node:net';
import { issueToken, type LocalOidc, localOidc } from './auth.ts';
import { PrerequisiteError } from './emulator.ts';
import { startLocalStack } from './local-stack.ts';
import { type LogOptions, readLogOptions } from './request-log.ts';

const port = Number(process.env.PORT ?? 3000);

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}

let logs: LogOptions;
let oidc: LocalOidc | undefined;
try {
  logs = readLogOptions(process.argv.slice(2), process.env);
  oidc = localOidc();
} catch (error) {
  fail((error as Error).message);
}
// Read by Powertools when the handler modules are imported: metrics lines only when asked for.
process.env.POWERTOOLS_METRICS_DISABLED = logs.metrics ? 'false' : 'true';

async function assertPortFree(p: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(p, '127.0.0.1', () => probe.close(() => resolve()));
  }).catch(() =>
    fail(`port ${p} is in use: stop what uses it or run with PORT=<another port> npm start`),
  );
}

if (!Number.isInteger(port) || port <= 0 || port > 65535)
  fail(`PORT must be a port number, got "${process.env.PORT}"`);
await assertPortFree(port);

try {
  const stack = await startLocalStack({
    port,
    log: (line) => console.log(`[emulator] ${line}`),
    allowMotoS3: true,
    logFormat: logs.format,
  });
  const token = await issueToken('local-user');
  const { storage } = stack;
  if (storage.s3Warning) console.warn(`warning: ${storage.s3Warning}`);
  console.log(`
Upload API running at ${stack.apiUrl}
Upload page:          ${stack.apiUrl}/?token=${token} (API reference: ${stack.apiUrl}/docs)
Storage:              S3 ${storage.s3Engine} at ${storage.s3Endpoint}, DynamoDB at ${storage.dynamodbEndpoint} (in memory: lost on exit)
OpenAPI document:     ${stack.apiUrl}/openapi.json
Live progress:        ${stack.liveUrl ?? 'off'} (WebSocket: subscribe to a session id)
Hosted sign-in:       ${oidc ? `${oidc.issuer} (client ${oidc.clientId}); its tokens and local ones are accepted` : 'off (LOCAL_OIDC_ISSUER and LOCAL_OIDC_CLIENT_ID turn it on)'}

Token for user "local-user" (npm run -s token -- <userId> makes others):
${token}

Try it:
curl -s -X POST ${stack.apiUrl}/api/v1/uploads/initiate \\
  -H "Authorization: Bearer ${token}" -H 'content-type: application/json' \\
  -d '{"fileName":"hello.txt","fileSize":12,"checksum":"NONE"}'

Request log: ${logs.format === 'pretty' ? "one line per request (--log-format json: the handlers' JSON lines, as in Lambda)" : "the handlers' JSON lines, as in Lambda (--log-format pretty: one line per request)"}; metrics ${logs.metrics ? 'on' : 'off (--metrics: Powertools metrics lines too)'}.
Ctrl-C stops the API and the emulators.`);
  const shutdown = async (signal: string) => {
    console.log(`\n${signal}: shutting down`);
    await stack.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  if (error instanceof PrerequisiteError) fail(error.message);
  const message = error instanceof Error ? error.message : String(error);
  fail(message.split('\n')[0] ?? 'failed to start');
}
