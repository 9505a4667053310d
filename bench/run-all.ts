import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { buildCli } from '../client/cli/build.ts';
import { issueToken } from '../local/auth.ts';
import { startLocalStack } from '../local/local-stack.ts';
import { emulatorVersion, useEmbeddedEmulator } from './emulated-env.ts';
import {
  CLI_PROCESS,
  type CliRssResult,
  measureCliRss,
  type ProcessPeak,
} from './upload/cli-rss.ts';
import { measureLatency, type RouteLatency } from './upload/latency.ts';
import {
  MIB,
  markdownTable,
  median,
  note,
  round,
  textTable,
  writeRandomFile,
} from './upload/support.ts';
import {
  directS3Client,
  measureThroughput,
  type ThroughputRun,
  type ThroughputSetup,
} from './upload/throughput.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');

const FILE_SIZE = 256 * MIB;
const PART_SIZE = 8 * MIB;
const CONCURRENCY = 4;
const RUNS = 2;
const WARMUP_SIZE = 2 * PART_SIZE;
const RSS_FILE_SIZE = 1024 * MIB;
const RSS_FALLBACK_SIZE = 512 * MIB;
/** The 1 GiB CLI run is replaced by 512 MiB when the measured SDK rate projects beyond this. */
const RSS_BUDGET_S = 300;
const RSS_TIMEOUT_MS = 360_000;
const LATENCY_SESSIONS = 200;
const LATENCY_WARMUP = 5;
const LATENCY_FILE_SIZE = 1024;

const GOALS = {
  ratio: 0.9,
  apiCallsPerChunk: 1.05,
  peakRssMB: (CONCURRENCY * PART_SIZE) / MIB + 100,
} as const;

const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');
const mb = (kib: number) => round(kib / 1024, 1);

/** The routes the SDK's upload path uses, in the order it uses them. */
const UPLOAD_ROUTES = [
  ['initiate', 'initiate'],
  ['chunkUrls', 'sign (POST /chunks)'],
  ['recordChunk', 'record (PUT /chunks/{n})'],
  ['complete', 'complete'],
  ['resume', 'resume'],
] as const;

interface Section {
  readonly heading: string;
  readonly detail: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly lines: readonly string[];
}

const sectionText = (s: Section) =>
  [
    s.heading,
    s.detail,
    '',
    textTable(s.header, s.rows),
    ...(s.lines.length ? ['', ...s.lines] : []),
  ].join('\n');

const sectionMarkdown = (s: Section) =>
  [
    `## ${s.heading}`,
    '',
    s.detail,
    '',
    markdownTable(s.header, s.rows),
    ...(s.lines.length ? ['', ...s.lines.map((l) => `${l}  `)] : []),
  ].join('\n');

function throughputSection(runs: readonly ThroughputRun[]) {
  const rates = (tool: ThroughputRun['tool']) =>
    runs.filter((r) => r.tool === tool).map((r) => r.mibPerSecond);
  const sdk = rates('sdk');
  const lib = rates('lib-storage');
  const sdkBest = Math.max(...sdk);
  const libBest = Math.max(...lib);
  const ratio = sdkBest / libBest;
  const summary = {
    sdkMBps: round(sdkBest),
    libStorageMBps: round(libBest),
    ratio: round(ratio, 3),
    sdkMedianMBps: round(median(sdk)),
    libStorageMedianMBps: round(median(lib)),
    medianRatio: round(median(sdk) / median(lib), 3),
    pass: ratio >= GOALS.ratio,
  };
  const section: Section = {
    heading: '1. Throughput: SDK through the API vs lib-storage direct',
    detail:
      `${FILE_SIZE / MIB} MiB random file, ${PART_SIZE / MIB} MiB parts, concurrency ${CONCURRENCY}; ` +
      `${RUNS} runs of each, alternating, SDK first, after an untimed ${WARMUP_SIZE / MIB} MiB warm-up of each. ` +
      'SDK: uploadFile with its default SHA-256 chunk checksums, no resume store, through the local API. ' +
      'lib-storage: Upload of a file stream with an S3Client (forcePathStyle, requestChecksumCalculation WHEN_REQUIRED) on the same LocalStack endpoint. ' +
      'MB/s = file size / wall time from the first request to the finished object.',
    header: ['client', 'run', 'seconds', 'MB/s'],
    rows: runs.map((r) => [
      r.tool === 'sdk' ? 'SDK uploadFile (via API)' : 'lib-storage Upload (direct)',
      String(r.run),
      r.seconds.toFixed(2),
      r.mibPerSecond.toFixed(1),
    ]),
    lines: [
      `best: SDK ${summary.sdkMBps} MB/s, lib-storage ${summary.libStorageMBps} MB/s, ratio ${summary.ratio}` +
        ` (medians ${summary.sdkMedianMBps} / ${summary.libStorageMedianMBps}, ratio ${summary.medianRatio});` +
        ` goal ratio >= ${GOALS.ratio}: ${verdict(summary.pass)}`,
    ],
  };
  return { summary, section };
}

function apiCallsSection(runs: readonly ThroughputRun[], apiBase: string) {
  const sdkRuns = runs.filter((r) => r.tool === 'sdk');
  const chunks = sdkRuns.reduce((sum, r) => sum + (r.chunks ?? 0), 0);
  const calls = (route: string) => sdkRuns.reduce((sum, r) => sum + (r.apiCalls?.[route] ?? 0), 0);
  const known = new Set<string>(UPLOAD_ROUTES.map(([route]) => route));
  const others = [...new Set(sdkRuns.flatMap((r) => Object.keys(r.apiCalls ?? {})))].filter(
    (route) => !known.has(route),
  );
  const total = sdkRuns.reduce(
    (sum, r) => sum + Object.values(r.apiCalls ?? {}).reduce((a, b) => a + b, 0),
    0,
  );
  const perRun = (route: string) => sdkRuns.map((r) => String(r.apiCalls?.[route] ?? 0));
  const row = (route: string, label: string) => [
    label,
    ...perRun(route),
    (calls(route) / chunks).toFixed(3),
  ];
  const perChunk = (calls('chunkUrls') + calls('recordChunk')) / chunks;
  const summary = {
    apiCallsPerChunk: round(perChunk, 3),
    allApiCallsPerChunk: round(total / chunks, 3),
    chunks,
    runs: sdkRuns.length,
    breakdown: {
      initiate: calls('initiate'),
      sign: calls('chunkUrls'),
      record: calls('recordChunk'),
      complete: calls('complete'),
      resume: calls('resume'),
      other: others.reduce((sum, route) => sum + calls(route), 0),
    },
    pass: perChunk <= GOALS.apiCallsPerChunk,
  };
  const section: Section = {
    heading: '2. API calls per chunk (SDK, measured throughput runs)',
    detail: `Requests whose URL starts with ${apiBase}, counted by route in a wrapper of the SDK's fetch option. The SDK's retries are disabled, so a failure stops the run instead of adding calls.`,
    header: ['route', ...sdkRuns.map((r) => `run ${r.run}`), 'per chunk'],
    rows: [
      ...UPLOAD_ROUTES.map(([route, label]) => row(route, label)),
      ...others.map((route) => row(route, route)),
      ['chunks (storage PUTs)', ...sdkRuns.map((r) => `${r.chunks} (${r.storagePuts})`), ''],
    ],
    lines: [
      `(sign + record) / chunks = ${summary.apiCallsPerChunk}; all API calls / chunks = ` +
        `${summary.allApiCallsPerChunk}; goal <= ${GOALS.apiCallsPerChunk}: ${verdict(summary.pass)}`,
    ],
  };
  return { summary, section };
}

function rssSection(upload: CliRssResult, idle: CliRssResult, fileSize: number, reduced: boolean) {
  const cliProcess = (result: CliRssResult): ProcessPeak | undefined =>
    result.processes.find((p) => p.command === CLI_PROCESS);
  const uploader = cliProcess(upload);
  const idleUploader = cliProcess(idle);
  const peakRssMB = mb(upload.treeHwmSumKiB);
  const ok = upload.exitCode === 0 && !upload.timedOut && upload.record?.size === fileSize;
  const summary = {
    fileMB: fileSize / MIB,
    reducedFromMB: reduced ? RSS_FILE_SIZE / MIB : undefined,
    ok,
    exitCode: upload.exitCode,
    timedOut: upload.timedOut,
    seconds: round(upload.seconds, 1),
    cliMBps: round(fileSize / MIB / upload.seconds),
    samples: upload.samples,
    peakRssMB,
    treeSampledPeakMB: mb(upload.treeSampledPeakKiB),
    uploaderPeakRssMB: uploader ? mb(uploader.hwmKiB) : undefined,
    idleTreeRssMB: mb(idle.treeHwmSumKiB),
    idleUploaderRssMB: idleUploader ? mb(idleUploader.hwmKiB) : undefined,
    uploadAboveIdleMB:
      uploader && idleUploader ? mb(uploader.hwmKiB - idleUploader.hwmKiB) : undefined,
    goalMB: GOALS.peakRssMB,
    pass: ok && peakRssMB <= GOALS.peakRssMB,
    uploaderPass: ok && uploader !== undefined && mb(uploader.hwmKiB) <= GOALS.peakRssMB,
    stats: upload.stats,
  };
  const idleOf = (command: string) => idle.processes.find((p) => p.command === command);
  const fixed = (kib: number | undefined) => (kib === undefined ? '-' : mb(kib).toFixed(1));
  const section: Section = {
    heading: '3. Peak RSS of the CLI',
    detail:
      `\`node dist/upload-api.mjs upload <${fileSize / MIB} MiB file> --chunk-size ${PART_SIZE} --concurrency ${CONCURRENCY}\`` +
      (reduced
        ? ` (reduced from ${RSS_FILE_SIZE / MIB} MiB: the measured SDK rate projects beyond ${RSS_BUDGET_S} s)`
        : '') +
      '; every process of its tree read from `/proc/<pid>/status` every 50 ms (VmHWM, VmRSS). ' +
      '"idle" is the same command line with `--help` (runtime and the CLI modules loaded, no upload).',
    header: ['process', 'idle MB (--help)', 'upload MB'],
    rows: [
      ...upload.processes.map((p) => [
        p.command,
        fixed(idleOf(p.command)?.hwmKiB),
        fixed(p.hwmKiB),
      ]),
      ['tree: sum of VmHWM', fixed(idle.treeHwmSumKiB), fixed(upload.treeHwmSumKiB)],
      [
        'tree: largest sampled VmRSS sum',
        fixed(idle.treeSampledPeakKiB),
        fixed(upload.treeSampledPeakKiB),
      ],
    ],
    lines: [
      `upload: exit ${upload.exitCode}${upload.timedOut ? ' (TIMED OUT)' : ''}, ${summary.seconds} s, ` +
        `${summary.cliMBps} MB/s, ${upload.samples} samples; ${upload.stats ?? `stderr: ${upload.stderrTail}`}`,
      `goal: peak RSS <= concurrency x chunk size + 100 MB = ${GOALS.peakRssMB} MB: ` +
        `whole tree ${summary.peakRssMB} MB ${verdict(summary.pass)}; ` +
        `CLI process alone ${summary.uploaderPeakRssMB} MB ${verdict(summary.uploaderPass)} ` +
        `(${summary.uploadAboveIdleMB} MB above its idle ${summary.idleUploaderRssMB} MB)`,
    ],
  };
  return { summary, section };
}

function latencySection(routes: readonly RouteLatency[]) {
  const byRoute = Object.fromEntries(
    routes.map((r) => [
      r.route,
      {
        n: r.n,
        p50: round(r.p50Ms, 2),
        p90: round(r.p90Ms, 2),
        p99: round(r.p99Ms, 2),
        max: round(r.maxMs, 2),
        mean: round(r.meanMs, 2),
      },
    ]),
  );
  const section: Section = {
    heading: '4. Latency per route',
    detail:
      `${LATENCY_SESSIONS} one-chunk sessions of ${LATENCY_FILE_SIZE} bytes, one request at a time, after ${LATENCY_WARMUP} untimed warm-up sessions; ` +
      'each session is initiated, signed, PUT, recorded, queried, completed, downloaded and listed, and a second one is initiated and cancelled. ' +
      'Client-side wall time of each call (nearest-rank percentiles).',
    header: ['route', 'request', 'n', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
    rows: routes.map((r) => [
      r.route,
      r.request,
      String(r.n),
      r.p50Ms.toFixed(1),
      r.p90Ms.toFixed(1),
      r.p99Ms.toFixed(1),
      r.maxMs.toFixed(1),
    ]),
    lines: [],
  };
  return { byRoute, section };
}

async function main(): Promise<void> {
  const began = performance.now();
  const { bucket } = useEmbeddedEmulator('uploads-bench');
  const region = process.env.AWS_REGION as string;
  const moto = await emulatorVersion();

  note('starting the emulator and the local API (port 0)');
  const stack = await startLocalStack({ port: 0, log: (line) => note(`emulator: ${line}`) });
  const dir = await mkdtemp(join(tmpdir(), 'upload-bench-'));
  try {
    note(`API ${stack.apiUrl}, S3 ${stack.storage.s3Endpoint}, files in ${dir}`);

    // 1 + 2: throughput and API calls per chunk.
    const file = join(dir, 'throughput-256MiB.bin');
    const warmupFile = join(dir, 'warmup.bin');
    note(`writing ${FILE_SIZE / MIB} MiB of random bytes`);
    await writeRandomFile(file, FILE_SIZE);
    await writeRandomFile(warmupFile, WARMUP_SIZE);
    const base = {
      apiUrl: stack.apiUrl,
      token: await issueToken('bench-sdk'),
      awsEndpoint: stack.storage.s3Endpoint,
      region,
      bucket,
      partSize: PART_SIZE,
      concurrency: CONCURRENCY,
      runs: RUNS,
    };
    const setup: ThroughputSetup = { ...base, file, fileSize: FILE_SIZE };
    const runs = await measureThroughput(setup, {
      ...base,
      file: warmupFile,
      fileSize: WARMUP_SIZE,
    });
    await rm(file, { force: true });
    const throughput = throughputSection(runs);
    const calls = apiCallsSection(runs, `${stack.apiUrl}/api/v1`);

    // 3: peak RSS of the CLI.
    const projectedS = RSS_FILE_SIZE / MIB / throughput.summary.sdkMBps;
    const reduced = projectedS > RSS_BUDGET_S;
    const rssSize = reduced ? RSS_FALLBACK_SIZE : RSS_FILE_SIZE;
    const rssFile = join(dir, `cli-${rssSize / MIB}MiB.bin`);
    note(`writing ${rssSize / MIB} MiB for the CLI run (projected ${projectedS.toFixed(0)} s)`);
    await writeRandomFile(rssFile, rssSize);
    const cliBundle = await buildCli(join(dir, 'upload-api.mjs'));
    const cliRun = async (args: readonly string[]) =>
      measureCliRss({
        repoRoot: ROOT,
        cliBundle,
        args,
        apiUrl: stack.apiUrl,
        token: await issueToken('bench-cli'),
        stateFile: join(dir, 'cli-state.json'),
        timeoutMs: RSS_TIMEOUT_MS,
      });
    let cli: CliRssResult;
    let idle: CliRssResult;
    try {
      note('CLI --help (idle baseline), sampling RSS every 50 ms');
      idle = await cliRun(['upload', rssFile, '--help']);
      note(`CLI upload of ${rssSize / MIB} MiB, sampling RSS every 50 ms`);
      cli = await cliRun([
        'upload',
        rssFile,
        '--chunk-size',
        String(PART_SIZE),
        '--concurrency',
        String(CONCURRENCY),
      ]);
    } finally {
      await rm(rssFile, { force: true });
    }
    if (cli.record) {
      const s3 = directS3Client({ awsEndpoint: stack.storage.s3Endpoint, region });
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: cli.record.key }));
      s3.destroy();
    }
    const rss = rssSection(cli, idle, rssSize, reduced);

    // 4: latency of every route.
    note(`latency: ${LATENCY_WARMUP} warm-up sessions`);
    const latency = latencySection(
      await measureLatency({
        apiUrl: stack.apiUrl,
        token: await issueToken('bench-latency'),
        sessions: LATENCY_SESSIONS,
        warmup: LATENCY_WARMUP,
        fileSize: LATENCY_FILE_SIZE,
      }),
    );

    const durationS = round((performance.now() - began) / 1000, 1);
    const intro = [
      `Node ${process.version}, ${cpus().length} CPUs, ${round(totalmem() / 1024 ** 3, 0)} GiB RAM; ` +
        `${moto} (embedded emulators); the API server in this process on ${stack.apiUrl}.`,
      'MB = MiB = 1,048,576 bytes.',
    ];
    const sections = [throughput.section, calls.section, rss.section, latency.section];
    console.log(intro.join('\n'));
    for (const section of sections) console.log(`\n${sectionText(section)}`);

    const notes = [
      'The API server runs in the benchmark process (as local/local-stack.ts starts it), so the SDK shares its event loop with the handlers, and LocalStack (S3) and moto (DynamoDB) serve both on the same 2 cores; in AWS the control plane runs in Lambda.',
      'lib-storage talks to S3 directly with credentials: no control plane, no per-part verification (ListParts) or ledger write, no checksums (WHEN_REQUIRED).',
      'The SDK records every chunk after its PUT (the server verifies it with ListParts and a conditional DynamoDB write), so each worker waits one record round trip per chunk.',
      'Handler logs are at ERROR level (POWERTOOLS_LOG_LEVEL) so that stdout carries only results.',
      'peakRssMB is the sum of the VmHWM of every process of the CLI tree (the CLI runs as `npm run cli` runs it: one Node process on the CLI built into one JavaScript file); uploaderPeakRssMB is the CLI process alone.',
      'LocalStack verifies signatures and checksums like S3 but keeps objects on local disk and in memory: these are emulator numbers, for comparing the two clients, not S3 numbers.',
    ];
    const finalLine = {
      sdkMBps: throughput.summary.sdkMBps,
      libStorageMBps: throughput.summary.libStorageMBps,
      ratio: throughput.summary.ratio,
      sdkMedianMBps: throughput.summary.sdkMedianMBps,
      libStorageMedianMBps: throughput.summary.libStorageMedianMBps,
      apiCallsPerChunk: calls.summary.apiCallsPerChunk,
      allApiCallsPerChunk: calls.summary.allApiCallsPerChunk,
      apiCalls: { ...calls.summary.breakdown, chunks: calls.summary.chunks },
      peakRssMB: rss.summary.peakRssMB,
      uploaderPeakRssMB: rss.summary.uploaderPeakRssMB,
      peakRssGoalMB: GOALS.peakRssMB,
      cliFileMB: rss.summary.fileMB,
      cliOk: rss.summary.ok,
      chunkUrlsP50Ms: latency.byRoute.chunkUrls?.p50,
      chunkUrlsP99Ms: latency.byRoute.chunkUrls?.p99,
      recordChunkP50Ms: latency.byRoute.recordChunk?.p50,
      recordChunkP99Ms: latency.byRoute.recordChunk?.p99,
      latencyMs: Object.fromEntries(
        Object.entries(latency.byRoute).map(([route, l]) => [route, { p50: l.p50, p99: l.p99 }]),
      ),
      goals: {
        ratio: throughput.summary.pass,
        apiCallsPerChunk: calls.summary.pass,
        peakRss: rss.summary.pass,
      },
      durationS,
    };

    await mkdir(RESULTS, { recursive: true });
    const json = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      machine: { cpus: cpus().length, totalMemGiB: round(totalmem() / 1024 ** 3, 1) },
      emulator: { versions: moto, s3Endpoint: stack.storage.s3Endpoint },
      units: 'MB = MiB = 1,048,576 bytes; times in seconds or ms as named',
      goals: GOALS,
      summary: finalLine,
      throughput: {
        fileBytes: FILE_SIZE,
        partBytes: PART_SIZE,
        concurrency: CONCURRENCY,
        runsPerClient: RUNS,
        warmupBytes: WARMUP_SIZE,
        ...throughput.summary,
        runs: runs.map((r) => ({
          tool: r.tool,
          run: r.run,
          seconds: round(r.seconds, 3),
          MBps: round(r.mibPerSecond, 2),
          ...(r.apiCalls
            ? { chunks: r.chunks, apiCalls: r.apiCalls, storagePuts: r.storagePuts }
            : {}),
        })),
      },
      apiCalls: calls.summary,
      cliRss: {
        ...rss.summary,
        processes: cli.processes,
        idleProcesses: idle.processes,
        budgetSeconds: RSS_BUDGET_S,
      },
      latency: {
        sessions: LATENCY_SESSIONS,
        warmupSessions: LATENCY_WARMUP,
        fileBytes: LATENCY_FILE_SIZE,
        percentile: 'nearest rank',
        routes: latency.byRoute,
      },
      notes,
      durationS,
    };
    await writeFile(join(RESULTS, 'upload.json'), `${JSON.stringify(json, null, 2)}\n`);
    const markdown = [
      '# Upload benchmarks',
      '',
      `Measured ${json.measuredAt} with \`npm run bench\` (${durationS} s). ${intro.join(' ')}`,
      '',
      '| metric | measured | goal | |',
      '| --- | ---: | ---: | --- |',
      `| SDK / lib-storage throughput | ${finalLine.sdkMBps} / ${finalLine.libStorageMBps} MB/s = ${finalLine.ratio} | >= ${GOALS.ratio} | ${verdict(throughput.summary.pass)} |`,
      `| API calls (sign + record) per chunk | ${finalLine.apiCallsPerChunk} | <= ${GOALS.apiCallsPerChunk} | ${verdict(calls.summary.pass)} |`,
      `| CLI peak RSS, ${rss.summary.fileMB} MiB file (whole tree / CLI process) | ${finalLine.peakRssMB} / ${finalLine.uploaderPeakRssMB} MB | <= ${GOALS.peakRssMB} MB | ${verdict(rss.summary.pass)} / ${verdict(rss.summary.uploaderPass)} |`,
      '',
      ...sections.flatMap((section) => [sectionMarkdown(section), '']),
      '## Notes',
      '',
      ...notes.map((n) => `- ${n}`),
      '',
    ].join('\n');
    await writeFile(join(RESULTS, 'upload.md'), markdown);

    console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);
    console.log('\nWrote bench/results/upload.json and bench/results/upload.md');
    console.log(JSON.stringify(finalLine));
  } finally {
    await rm(dir, { recursive: true, force: true });
    await stack.stop();
  }
}

await main();
