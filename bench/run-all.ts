import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { buildCli } from '../client/cli/build.ts';
import { issueToken } from '../local/auth.ts';
import { startLocalStack } from '../local/local-stack.ts';
import { createDocumentClient } from '../src/adapters/aws-clients.ts';
import { type ChunkSizeMeasurement, measureCosts, RequestRecords } from './cost/measure.ts';
import { meterLedger, meterS3 } from './cost/meters.ts';
import { readPrices } from './cost/prices.ts';
import { type CostReport, costMarkdown, costReport } from './cost/report.ts';
import { emulatorVersion, useEmbeddedEmulator } from './emulated-env.ts';
import { addCounts, apiRouteOf, callCounts } from './upload/api-routes.ts';
import { bestEffort, RetryLog } from './upload/attempts.ts';
import {
  CLI_PROCESS,
  type CliRssResult,
  measureCliRss,
  type ProcessPeak,
} from './upload/cli-rss.ts';
import { type DelayProxyStats, startDelayProxy } from './upload/delay-proxy.ts';
import { measureLatency, type RouteLatency } from './upload/latency.ts';
import { type BenchSettings, readSettings } from './upload/settings.ts';
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
  type Tool,
} from './upload/throughput.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const S = readSettings();
const RESULTS = resolve(ROOT, S.resultsDir);
const FILE_SIZE = S.fileMiB * MIB;
const PART_SIZE = S.partMiB * MIB;
const CONCURRENCY = S.concurrency;
const RUNS = S.runs;
const LATENCIES = S.latenciesMs;
const WARMUP_SIZE = 2 * PART_SIZE;
const RSS_FILE_SIZE = S.cliFileMiB * MIB;
const RSS_FALLBACK_SIZE = Math.min(S.cliFallbackMiB, S.cliFileMiB) * MIB;
/** The CLI run is replaced by the fallback size when the measured SDK rate projects beyond this. */
const RSS_BUDGET_S = S.cliBudgetS;
const RSS_TIMEOUT_MS = (RSS_BUDGET_S + 60) * 1000;
const LATENCY_SESSIONS = S.latencySessions;
const LATENCY_WARMUP = 5;
const LATENCY_FILE_SIZE = 1024;
const COST_FILE_SIZE = S.costFileMiB * MIB;
const COST_TOTAL_BYTES = S.costTotalGiB * 1024 * MIB;

/** The added latency the ratio goal of the issue "fast at real-world latency" is judged at. */
const FAR_LATENCY_MS = 120;

const GOALS = {
  /** SDK / lib-storage, best runs, with no latency added. */
  ratio: 0.9,
  /** SDK / lib-storage, best runs, with 120 ms added to every API call. */
  ratioAt120Ms: 0.95,
  /** (sign + record) calls per chunk, at every latency. */
  apiCallsPerChunk: 0.1,
  peakRssFormula: 'concurrency x chunk + 100 MB',
  peakRssMB: (CONCURRENCY * PART_SIZE) / MIB + 100,
} as const;

const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');
const mb = (kib: number) => round(kib / 1024, 1);
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const plus = (ms: number) => `+${ms} ms`;

const TOOL_LABEL: Record<Tool, string> = {
  sdk: 'SDK uploadFile (API via proxy)',
  'lib-storage': 'lib-storage Upload (direct)',
  'lib-storage-delayed': 'lib-storage Upload (direct, delayed control calls)',
};

/** The routes the SDK's upload path uses, in the order it uses them. */
const UPLOAD_ROUTES = [
  ['initiate', 'initiate'],
  ['chunkUrls', 'sign (POST /chunks)'],
  ['recordChunk', 'record (PUT /chunks/{n})'],
  ['recordChunks', 'record batch (PUT /chunks)'],
  ['complete', 'complete'],
  ['resume', 'resume'],
] as const;

interface Section {
  readonly heading: string;
  readonly detail: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly lines: readonly string[];
  /** Further tables under the first. */
  readonly more?: readonly {
    readonly header: readonly string[];
    readonly rows: readonly (readonly string[])[];
  }[];
}

const sectionText = (s: Section) =>
  [
    s.heading,
    s.detail,
    '',
    textTable(s.header, s.rows),
    ...(s.more ?? []).flatMap((t) => ['', textTable(t.header, t.rows)]),
    ...(s.lines.length ? ['', ...s.lines] : []),
  ].join('\n');

const sectionMarkdown = (s: Section) =>
  [
    `## ${s.heading}`,
    '',
    s.detail,
    '',
    markdownTable(s.header, s.rows),
    ...(s.more ?? []).flatMap((t) => ['', markdownTable(t.header, t.rows)]),
    ...(s.lines.length ? ['', ...s.lines.map((l) => `${l}  `)] : []),
  ].join('\n');

interface LatencySummary {
  readonly latencyMs: number;
  readonly sdkMBps: number;
  readonly libStorageMBps: number;
  readonly ratio: number;
  readonly sdkMedianMBps: number;
  readonly libStorageMedianMBps: number;
  readonly medianRatio: number;
  /** lib-storage with the latency added to CreateMultipartUpload and CompleteMultipartUpload. */
  readonly libStorageDelayedMBps?: number;
  readonly delayedRatio?: number;
  /** Median SDK seconds above the median at +0 ms. */
  readonly sdkAddedSeconds?: number;
  /** sdkAddedSeconds / latency: API round trips on the SDK's critical path. */
  readonly sdkRoundTrips?: number;
  /** The same for lib-storage with delayed control calls (2 expected). */
  readonly libStorageDelayedRoundTrips?: number;
}

function throughputSection(runs: readonly ThroughputRun[]) {
  const rates = (tool: Tool, latencyMs: number) =>
    runs.filter((r) => r.tool === tool && r.latencyMs === latencyMs).map((r) => r.mibPerSecond);
  const seconds = (tool: Tool, latencyMs: number) =>
    median(runs.filter((r) => r.tool === tool && r.latencyMs === latencyMs).map((r) => r.seconds));
  const baseline = LATENCIES.includes(0) ? 0 : undefined;
  const byLatency: LatencySummary[] = LATENCIES.map((latencyMs) => {
    const sdk = rates('sdk', latencyMs);
    const lib = rates('lib-storage', latencyMs);
    const delayed = rates('lib-storage-delayed', latencyMs);
    const sdkBest = Math.max(...sdk);
    const libBest = Math.max(...lib);
    const added =
      baseline !== undefined && latencyMs > 0
        ? seconds('sdk', latencyMs) - seconds('sdk', baseline)
        : undefined;
    const libAdded =
      baseline !== undefined && latencyMs > 0 && delayed.length > 0
        ? seconds('lib-storage-delayed', latencyMs) - seconds('lib-storage', baseline)
        : undefined;
    return {
      latencyMs,
      sdkMBps: round(sdkBest),
      libStorageMBps: round(libBest),
      ratio: round(sdkBest / libBest, 3),
      sdkMedianMBps: round(median(sdk)),
      libStorageMedianMBps: round(median(lib)),
      medianRatio: round(median(sdk) / median(lib), 3),
      ...(delayed.length > 0
        ? {
            libStorageDelayedMBps: round(Math.max(...delayed)),
            delayedRatio: round(sdkBest / Math.max(...delayed), 3),
          }
        : {}),
      ...(added !== undefined
        ? { sdkAddedSeconds: round(added, 2), sdkRoundTrips: round(added / (latencyMs / 1000), 1) }
        : {}),
      ...(libAdded !== undefined
        ? { libStorageDelayedRoundTrips: round(libAdded / (latencyMs / 1000), 1) }
        : {}),
    };
  });
  const first = byLatency[0] as LatencySummary;
  const base = byLatency.find((l) => l.latencyMs === 0);
  const far = byLatency.find((l) => l.latencyMs === FAR_LATENCY_MS);
  const pass = {
    ratio: base ? base.ratio >= GOALS.ratio : undefined,
    ratioAt120Ms: far ? far.ratio >= GOALS.ratioAt120Ms : undefined,
  };
  const cell = (value: number | undefined, digits = 1) =>
    value === undefined ? '-' : value.toFixed(digits);
  const retriesOf = (r: ThroughputRun) => {
    const parts = [
      r.retries.run ? `${r.retries.run} run` : '',
      r.retries.api ? `${r.retries.api} API` : '',
      r.retries.storage ? `${r.retries.storage} PUT` : '',
      r.retries.s3 ? `${r.retries.s3} S3` : '',
    ].filter(Boolean);
    return parts.length ? parts.join(', ') : '0';
  };
  const goalLine = (
    label: string,
    value: number | undefined,
    goal: number,
    ok: boolean | undefined,
  ) =>
    ok === undefined
      ? `${label}: not measured (no such latency in --latencies)`
      : `${label}: ${value} >= ${goal}: ${verdict(ok)}`;
  const section: Section = {
    heading: '1. Throughput: SDK through the API vs lib-storage direct, per added API latency',
    detail:
      `${FILE_SIZE / MIB} MiB random file, ${PART_SIZE / MIB} MiB parts, concurrency ${CONCURRENCY}; ` +
      `at each added latency (${LATENCIES.map(plus).join(', ')}) ${RUNS} runs of each client, alternating, SDK first, in this process, after an untimed ${WARMUP_SIZE / MIB} MiB warm-up of each. ` +
      'SDK: uploadFile (client/sdk/node.ts, as the CLI calls it: default retries and node:http) with SHA-256 chunk checksums, no resume store; ' +
      'its API calls go through a loopback proxy that holds each request for the added latency before forwarding it, its chunk PUTs go to S3 directly. ' +
      'lib-storage: Upload of a file stream with an S3Client (forcePathStyle, requestChecksumCalculation WHEN_REQUIRED) on the same LocalStack endpoint, with no latency added to any of its calls' +
      (S.libStorageDelayed
        ? '; "delayed control calls": the same with the added latency on CreateMultipartUpload and CompleteMultipartUpload (its UploadPart calls, like the SDK\'s PUTs, get none). '
        : '. ') +
      'MB/s = file size / wall time from the first request to the finished object. ratio = SDK / lib-storage (best runs). ' +
      'Round trips = (median SDK seconds - median SDK seconds at +0 ms) / added latency: the API calls on the critical path of one upload.',
    header: ['added latency', 'client', 'run', 'seconds', 'MB/s', 'retries'],
    rows: runs.map((r) => [
      plus(r.latencyMs),
      TOOL_LABEL[r.tool],
      String(r.run),
      r.seconds.toFixed(2),
      r.mibPerSecond.toFixed(1),
      retriesOf(r),
    ]),
    more: [
      {
        header: [
          'added latency',
          'SDK MB/s',
          'lib-storage MB/s',
          'ratio',
          'median ratio',
          ...(S.libStorageDelayed ? ['lib-storage delayed MB/s', 'SDK / delayed'] : []),
          'SDK s over +0',
          'round trips',
        ],
        rows: byLatency.map((l) => [
          plus(l.latencyMs),
          cell(l.sdkMBps),
          cell(l.libStorageMBps),
          cell(l.ratio, 3),
          cell(l.medianRatio, 3),
          ...(S.libStorageDelayed ? [cell(l.libStorageDelayedMBps), cell(l.delayedRatio, 3)] : []),
          cell(l.sdkAddedSeconds, 2),
          cell(l.sdkRoundTrips),
        ]),
      },
    ],
    lines: [
      goalLine(`goal SDK / lib-storage at ${plus(0)}`, base?.ratio, GOALS.ratio, pass.ratio),
      goalLine(
        `goal SDK / lib-storage at ${plus(FAR_LATENCY_MS)}`,
        far?.ratio,
        GOALS.ratioAt120Ms,
        pass.ratioAt120Ms,
      ),
    ],
  };
  return { first, byLatency, pass, section };
}

interface CallSummary {
  readonly latencyMs: number;
  readonly apiCallsPerChunk: number;
  readonly allApiCallsPerChunk: number;
  readonly chunks: number;
  /** One sign and one record per upload: the least (sign + record) per chunk there can be. */
  readonly floorPerChunk: number;
  readonly breakdown: ReturnType<typeof callCounts> & { byRoute: Record<string, number> };
  /** 429 and 5xx answers the SDK retried. */
  readonly retriedAnswers: number;
  readonly pass: boolean;
}

function apiCallsSection(runs: readonly ThroughputRun[], cliCalls: CliCalls | undefined) {
  const perLatency: CallSummary[] = LATENCIES.map((latencyMs) => {
    const sdkRuns = runs.filter((r) => r.tool === 'sdk' && r.latencyMs === latencyMs);
    const byRoute: Record<string, number> = {};
    for (const r of sdkRuns) addCounts(byRoute, r.apiCalls ?? {});
    const chunks = sum(sdkRuns.map((r) => r.chunks ?? 0));
    const counts = callCounts(byRoute);
    const perChunk = (counts.sign + counts.record) / chunks;
    return {
      latencyMs,
      apiCallsPerChunk: round(perChunk, 3),
      allApiCallsPerChunk: round(counts.total / chunks, 3),
      chunks,
      floorPerChunk: round((2 * sdkRuns.length) / chunks, 3),
      breakdown: { ...counts, byRoute },
      retriedAnswers: sum(sdkRuns.map((r) => r.retries.api)),
      pass: perChunk <= GOALS.apiCallsPerChunk,
    };
  });
  const allRoutes = [...new Set(perLatency.flatMap((l) => Object.keys(l.breakdown.byRoute)))];
  const known = new Set<string>(UPLOAD_ROUTES.map(([route]) => route));
  const shown = [
    ...UPLOAD_ROUTES.filter(([route]) => route !== 'recordChunks' || allRoutes.includes(route)),
    ...allRoutes.filter((route) => !known.has(route)).map((route) => [route, route] as const),
  ];
  const chunksPerUpload = Math.ceil(FILE_SIZE / PART_SIZE);
  const section: Section = {
    heading: '2. API calls per chunk (SDK, measured throughput runs, per added latency)',
    detail:
      `Requests that reached the delay proxy in front of the API, by route (the server's route table), summed over the ${RUNS} SDK runs at each latency; ` +
      `sign = POST /uploads/{id}/chunks, record = PUT /uploads/{id}/chunks/{n} and the batch PUT /uploads/{id}/chunks. ` +
      'The SDK runs with its default retries: a 429 or 5xx answer it retries is one more call, and is counted under "retried answers". ' +
      `Each upload has ${chunksPerUpload} chunks, so one sign and one record per upload already make ${round(2 / chunksPerUpload, 3)} per chunk (the "least possible" row).`,
    header: ['route', ...LATENCIES.map(plus)],
    rows: [
      ...shown.map(([route, label]) => [
        label,
        ...perLatency.map((l) => String(l.breakdown.byRoute[route] ?? 0)),
      ]),
      ['chunks', ...perLatency.map((l) => String(l.chunks))],
      ['retried answers (429/5xx)', ...perLatency.map((l) => String(l.retriedAnswers))],
      ['(sign + record) / chunks', ...perLatency.map((l) => l.apiCallsPerChunk.toFixed(3))],
      ['all API calls / chunks', ...perLatency.map((l) => l.allApiCallsPerChunk.toFixed(3))],
      [
        'least possible (1 sign + 1 record per upload)',
        ...perLatency.map((l) => l.floorPerChunk.toFixed(3)),
      ],
    ],
    lines: [
      ...perLatency.map(
        (l) =>
          `${plus(l.latencyMs)}: (sign + record) / chunks = ${l.apiCallsPerChunk}; goal <= ${GOALS.apiCallsPerChunk}: ${verdict(l.pass)}` +
          (l.floorPerChunk > GOALS.apiCallsPerChunk
            ? ` (unreachable with ${chunksPerUpload}-chunk uploads: least possible ${l.floorPerChunk})`
            : ''),
      ),
      ...(cliCalls
        ? [
            `CLI upload of section 3 (${cliCalls.chunks} chunks, through the proxy at ${plus(0)}): ` +
              `sign ${cliCalls.counts.sign} + record ${cliCalls.counts.record} = ${cliCalls.perChunk} per chunk; ` +
              `goal <= ${GOALS.apiCallsPerChunk}: ${verdict(cliCalls.perChunk <= GOALS.apiCallsPerChunk)}`,
          ]
        : []),
    ],
  };
  return { perLatency, pass: perLatency.every((l) => l.pass), section };
}

interface CliCalls {
  readonly chunks: number;
  readonly counts: ReturnType<typeof callCounts>;
  readonly byRoute: Record<string, number>;
  readonly perChunk: number;
  readonly retriedAnswers: number;
}

function cliCallsOf(stats: DelayProxyStats, chunks: number): CliCalls {
  const counts = callCounts(stats.byRoute);
  return {
    chunks,
    counts,
    byRoute: stats.byRoute,
    perChunk: round((counts.sign + counts.record) / chunks, 3),
    retriedAnswers: sum(Object.values(stats.retryableByRoute)),
  };
}

function rssSection(
  upload: CliRssResult,
  idle: CliRssResult,
  fileSize: number,
  reduced: boolean,
  attempts: number,
) {
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
    attempts,
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
      `, its API calls through the delay proxy at ${plus(0)} (counted in section 2); every process of its tree read from \`/proc/<pid>/status\` every 50 ms (VmHWM, VmRSS). ` +
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
      `upload: exit ${upload.exitCode}${upload.timedOut ? ' (TIMED OUT)' : ''}${attempts > 1 ? ` (attempt ${attempts})` : ''}, ${summary.seconds} s, ` +
        `${summary.cliMBps} MB/s, ${upload.samples} samples; ${upload.stats ?? `stderr: ${upload.stderrTail}`}`,
      `goal: peak RSS <= ${GOALS.peakRssFormula} = ${CONCURRENCY} x ${PART_SIZE / MIB} + 100 = ${GOALS.peakRssMB} MB: ` +
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
        retries: r.retries,
      },
    ]),
  );
  const section: Section = {
    heading: '4. Latency per route',
    detail:
      `${LATENCY_SESSIONS} one-chunk sessions of ${LATENCY_FILE_SIZE} bytes, one request at a time, after ${LATENCY_WARMUP} untimed warm-up sessions, straight to the API (no delay proxy); ` +
      'each session is initiated, signed, PUT, recorded, queried, completed, downloaded and listed, and a second one is initiated and cancelled. ' +
      'Client-side wall time of each call (nearest-rank percentiles); a call that failed transiently was made again and only its successful attempt is timed ("retries").',
    header: ['route', 'request', 'n', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'retries'],
    rows: routes.map((r) => [
      r.route,
      r.request,
      String(r.n),
      r.p50Ms.toFixed(1),
      r.p90Ms.toFixed(1),
      r.p99Ms.toFixed(1),
      r.maxMs.toFixed(1),
      String(r.retries),
    ]),
    lines: [],
  };
  return { byRoute, section };
}

function retriesSection(
  log: RetryLog,
  runs: readonly ThroughputRun[],
  cliCalls: CliCalls | undefined,
) {
  const totals = {
    /** Measured runs (and warm-ups) timed again after a transient failure. */
    runs: log.count('throughput') + log.count('warm-up'),
    /** 429/5xx API answers in the timed runs, retried inside the SDK. */
    apiAnswers: sum(runs.map((r) => r.retries.api)) + (cliCalls?.retriedAnswers ?? 0),
    /** Chunk PUTs of the SDK that failed and were retried inside it. */
    storagePuts: sum(runs.map((r) => r.retries.storage)),
    /** Retries of lib-storage's S3 calls inside the AWS SDK. */
    s3: sum(runs.map((r) => r.retries.s3)),
    /** Route-latency calls made again. */
    latencyCalls: log.count('latency'),
    /** CLI uploads run again. */
    cli: log.count('cli'),
  };
  const section: Section = {
    heading: '5. Retries',
    detail:
      'The emulators fail now and then under load (moto answers an occasional HTML 500): a benchmark step that fails transiently (429, 5xx, a reset connection) is done again and listed here, never hidden. ' +
      "Retries inside a client (the SDK's, the AWS SDK's) are counted from the answers they retried.",
    header: ['kind', 'count'],
    rows: [
      ['runs timed again (throughput, warm-up)', String(totals.runs)],
      ['API answers 429/5xx retried by the SDK (throughput and CLI)', String(totals.apiAnswers)],
      ['SDK chunk PUTs failed and retried', String(totals.storagePuts)],
      ['lib-storage S3 calls retried by the AWS SDK', String(totals.s3)],
      ['route-latency calls made again', String(totals.latencyCalls)],
      ['CLI uploads run again', String(totals.cli)],
    ],
    lines: log.retries.map((r) => `${r.step}, attempt ${r.attempt}: ${r.error}`),
  };
  return { totals, section };
}

async function main(settings: BenchSettings): Promise<void> {
  const began = performance.now();
  const { bucket } = useEmbeddedEmulator('uploads-bench');
  // The deployed defaults, so that the cost model measures the log lines Lambda would ship; the
  // server captures and measures them instead of printing them (logFormat 'none').
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const region = process.env.AWS_REGION as string;
  const emulators = await emulatorVersion();
  const retries = new RetryLog();
  const requests = new RequestRecords();

  note('starting the emulators and the local API (port 0)');
  const stack = await startLocalStack({
    port: 0,
    log: (line) => note(`emulator: ${line}`),
    logFormat: 'none',
    onRequest: requests.add,
  });
  const dir = await mkdtemp(join(tmpdir(), 'upload-bench-'));
  try {
    note(`API ${stack.apiUrl}, S3 ${stack.storage.s3Endpoint}, files in ${dir}`);

    // 1 + 2: throughput and API calls per chunk, at every added latency.
    const file = join(dir, `throughput-${FILE_SIZE / MIB}MiB.bin`);
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
    const runs = await measureThroughput(
      setup,
      { ...base, file: warmupFile, fileSize: WARMUP_SIZE },
      {
        latenciesMs: LATENCIES,
        libStorageDelayed: settings.libStorageDelayed,
        runAttempts: settings.runAttempts,
        retries,
      },
    );
    await rm(file, { force: true });
    const throughput = throughputSection(runs);

    // 3: peak RSS of the CLI (its API calls counted through a proxy adding nothing).
    let rss: ReturnType<typeof rssSection> | undefined;
    let cli: CliRssResult | undefined;
    let idle: CliRssResult | undefined;
    let cliCalls: CliCalls | undefined;
    if (RSS_FILE_SIZE > 0) {
      const projectedS = RSS_FILE_SIZE / MIB / throughput.first.sdkMBps;
      const reduced = projectedS > RSS_BUDGET_S && RSS_FALLBACK_SIZE < RSS_FILE_SIZE;
      const rssSize = reduced ? RSS_FALLBACK_SIZE : RSS_FILE_SIZE;
      const rssFile = join(dir, `cli-${rssSize / MIB}MiB.bin`);
      note(`writing ${rssSize / MIB} MiB for the CLI run (projected ${projectedS.toFixed(0)} s)`);
      await writeRandomFile(rssFile, rssSize);
      const cliBundle = await buildCli(join(dir, 'upload-api.mjs'));
      const proxy = await startDelayProxy({
        target: stack.apiUrl,
        delayMs: 0,
        classify: apiRouteOf,
        maxRequests: 100_000,
        lifetimeMs: RSS_TIMEOUT_MS * (settings.runAttempts + 1),
      });
      const stateFile = join(dir, 'cli-state.json');
      const cliRun = async (args: readonly string[]) =>
        measureCliRss({
          repoRoot: ROOT,
          cliBundle,
          args,
          apiUrl: proxy.url,
          token: await issueToken('bench-cli'),
          stateFile,
          timeoutMs: RSS_TIMEOUT_MS,
        });
      let attempts = 0;
      try {
        note('CLI --help (idle baseline), sampling RSS every 50 ms');
        idle = await cliRun(['upload', rssFile, '--help']);
        for (attempts = 1; ; attempts++) {
          note(`CLI upload of ${rssSize / MIB} MiB, sampling RSS every 50 ms`);
          proxy.resetStats();
          await rm(stateFile, { force: true }); // a new attempt starts afresh, never resumes
          cli = await cliRun([
            'upload',
            rssFile,
            '--chunk-size',
            String(PART_SIZE),
            '--concurrency',
            String(CONCURRENCY),
            '--json', // the file's record on stdout
          ]);
          if (cli.exitCode === 0 || cli.timedOut || attempts >= settings.runAttempts) break;
          retries.record(
            'cli upload',
            attempts,
            `exit ${cli.exitCode}: ${cli.stderrTail.split('\n').at(-1) ?? ''}`.slice(0, 300),
          );
        }
        const totalChunks = Number(
          /totalChunks=(\d+)/.exec(cli.stats ?? '')?.[1] ?? Math.ceil(rssSize / PART_SIZE),
        );
        if (cli.exitCode === 0) cliCalls = cliCallsOf(proxy.stats(), totalChunks);
      } finally {
        await proxy.close();
        await rm(rssFile, { force: true });
      }
      const key = cli.record?.key;
      if (key) {
        const s3 = directS3Client({ awsEndpoint: stack.storage.s3Endpoint, region });
        await bestEffort(`delete ${key}`, () =>
          s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
        );
        s3.destroy();
      }
      rss = rssSection(cli, idle, rssSize, reduced, attempts);
    } else {
      note('CLI section skipped (--cli-file-mib 0)');
    }
    const calls = apiCallsSection(runs, cliCalls);

    // 4: latency of every route.
    let latency: ReturnType<typeof latencySection> | undefined;
    if (LATENCY_SESSIONS > 0) {
      note(`latency: ${LATENCY_WARMUP} warm-up sessions`);
      latency = latencySection(
        await measureLatency({
          apiUrl: stack.apiUrl,
          token: await issueToken('bench-latency'),
          sessions: LATENCY_SESSIONS,
          warmup: LATENCY_WARMUP,
          fileSize: LATENCY_FILE_SIZE,
          attempts: settings.runAttempts,
          retries,
        }),
      );
    } else {
      note('latency section skipped (--latency-sessions 0)');
    }
    // 6: the cost model: what an upload uses per chunk, and what a volume costs.
    let cost: { report: CostReport; measurements: ChunkSizeMeasurement[] } | undefined;
    if (COST_FILE_SIZE > 0) {
      const costFile = join(dir, `cost-${S.costFileMiB}MiB.bin`);
      note(`cost model: writing ${S.costFileMiB} MiB of random bytes`);
      await writeRandomFile(costFile, COST_FILE_SIZE);
      const { awsClients } = await import('../functions/commons/dependencies.ts');
      const { resolveUploadApiProps } = await import('../infra/upload-api-props.ts');
      const reader = createDocumentClient({ region, endpoint: stack.storage.dynamodbEndpoint });
      const meters = {
        requests,
        s3: meterS3([awsClients.s3, awsClients.s3Assembly]),
        ledger: meterLedger(awsClients.documents, reader),
      };
      try {
        const measurements = await measureCosts(
          { ...base, file: costFile, fileSize: COST_FILE_SIZE },
          meters,
          {
            chunkSizes: S.costChunksMiB.map((mib) => mib * MIB),
            runAttempts: settings.runAttempts,
            retries,
          },
        );
        const report = costReport({
          measurements,
          prices: await readPrices(),
          totalBytes: COST_TOTAL_BYTES,
          memoryMB: resolveUploadApiProps().memorySize,
        });
        cost = { report, measurements };
      } finally {
        reader.destroy();
        await rm(costFile, { force: true });
      }
    } else {
      note('cost model skipped (--cost-file-mib 0)');
    }
    const retried = retriesSection(retries, runs, cliCalls);

    const durationS = round((performance.now() - began) / 1000, 1);
    const intro = [
      `Node ${process.version}, ${cpus().length} CPUs, ${round(totalmem() / 1024 ** 3, 0)} GiB RAM, load average ${loadavg()[0]?.toFixed(1)} (shared machine); ` +
        `${emulators} (embedded emulators); the API server in this process on ${stack.apiUrl}.`,
      'MB = MiB = 1,048,576 bytes.',
    ];
    const costSection: Section | undefined = cost
      ? {
          heading: `6. Cost model: ${cost.report.tables[1].header[0]?.replace(/^USD for /, '')}`,
          detail: cost.report.detail,
          header: cost.report.tables[0].header,
          rows: cost.report.tables[0].rows,
          more: [cost.report.tables[1], cost.report.tables[2]],
          lines: cost.report.lines,
        }
      : undefined;
    const sections = [
      throughput.section,
      calls.section,
      ...(rss ? [rss.section] : []),
      ...(latency ? [latency.section] : []),
      retried.section,
      ...(costSection ? [costSection] : []),
    ];
    console.log(intro.join('\n'));
    for (const section of sections) console.log(`\n${sectionText(section)}`);

    const notes = [
      'The API server runs in the benchmark process (as local/local-stack.ts starts it), so the SDK shares its event loop with the handlers and the delay proxy, and LocalStack (S3) and moto (DynamoDB) serve both clients on the same 2 cores; in AWS the control plane runs in Lambda.',
      "Added latency: a loopback proxy (bench/upload/delay-proxy.ts) holds every API request of the SDK for the added latency, once, before forwarding it; it stands for API Gateway, a Lambda, DynamoDB and a user far from the region (60-150 ms per call). The SDK's chunk PUTs go to S3 directly and get no added latency (in AWS that path is direct too, though it crosses the same distance). At +0 ms the API calls still cross the proxy: one more loopback hop than a direct call.",
      'lib-storage talks to S3 directly with credentials: no control plane, no per-part verification (ListParts) or ledger write, no checksums (WHEN_REQUIRED). Its own S3 calls get no added latency' +
        (settings.libStorageDelayed
          ? '; the "delayed control calls" runs add the same latency to its CreateMultipartUpload and CompleteMultipartUpload, the two calls that match the SDK\'s initiate and complete.'
          : '.'),
      'The SDK records each stored chunk with the API (a call per chunk, or batches sent in the background where the SDK batches records): section 2 counts which routes it used at each latency.',
      'Transient emulator failures are retried and listed in section 5 (a run that fails is timed again from the start); a non-transient failure ends the benchmark.',
      'Handlers log at the deployed level (INFO, metrics on); the local server captures what they print (to measure it for the cost model) instead of printing it, so that stdout carries only results.',
      'peakRssMB is the sum of the VmHWM of every process of the CLI tree (the CLI runs as `npm run cli` runs it: one Node process on the CLI built into one JavaScript file); uploaderPeakRssMB is the CLI process alone.',
      'LocalStack verifies signatures and checksums like S3 but keeps objects on local disk and in memory: these are emulator numbers, for comparing the two clients, not S3 numbers.',
    ];
    const first = throughput.first;
    const firstCalls = calls.perLatency[0] as CallSummary;
    const keyed = <T>(values: readonly { latencyMs: number }[], pick: (v: never) => T) =>
      Object.fromEntries(values.map((v) => [String(v.latencyMs), pick(v as never)]));
    const far = throughput.byLatency.find((l) => l.latencyMs === FAR_LATENCY_MS);
    const finalLine = {
      // At the first (lowest, by default +0 ms) latency: the fields of earlier versions.
      sdkMBps: first.sdkMBps,
      libStorageMBps: first.libStorageMBps,
      ratio: first.ratio,
      sdkMedianMBps: first.sdkMedianMBps,
      libStorageMedianMBps: first.libStorageMedianMBps,
      apiCallsPerChunk: firstCalls.apiCallsPerChunk,
      allApiCallsPerChunk: firstCalls.allApiCallsPerChunk,
      apiCalls: {
        initiate: firstCalls.breakdown.initiate,
        sign: firstCalls.breakdown.sign,
        record: firstCalls.breakdown.record,
        complete: firstCalls.breakdown.complete,
        resume: firstCalls.breakdown.resume,
        other: firstCalls.breakdown.other,
        chunks: firstCalls.chunks,
      },
      peakRssMB: rss?.summary.peakRssMB,
      uploaderPeakRssMB: rss?.summary.uploaderPeakRssMB,
      peakRssGoalMB: GOALS.peakRssMB,
      cliFileMB: rss?.summary.fileMB,
      cliOk: rss?.summary.ok,
      chunkUrlsP50Ms: latency?.byRoute.chunkUrls?.p50,
      chunkUrlsP99Ms: latency?.byRoute.chunkUrls?.p99,
      recordChunkP50Ms: latency?.byRoute.recordChunk?.p50,
      recordChunkP99Ms: latency?.byRoute.recordChunk?.p99,
      latencyMs: latency
        ? Object.fromEntries(
            Object.entries(latency.byRoute).map(([route, l]) => [
              route,
              { p50: l.p50, p99: l.p99 },
            ]),
          )
        : undefined,
      // Added API latency (ms): the throughput and call counts at each.
      addedLatencyMs: LATENCIES,
      ratioAt120Ms: far?.ratio,
      ratioByLatency: keyed(throughput.byLatency, (l: LatencySummary) => l.ratio),
      medianRatioByLatency: keyed(throughput.byLatency, (l: LatencySummary) => l.medianRatio),
      delayedRatioByLatency: settings.libStorageDelayed
        ? keyed(
            throughput.byLatency.filter((l) => l.delayedRatio !== undefined),
            (l: LatencySummary) => l.delayedRatio,
          )
        : undefined,
      sdkMBpsByLatency: keyed(throughput.byLatency, (l: LatencySummary) => l.sdkMBps),
      libStorageMBpsByLatency: keyed(throughput.byLatency, (l: LatencySummary) => l.libStorageMBps),
      sdkRoundTripsByLatency: keyed(
        throughput.byLatency.filter((l) => l.sdkRoundTrips !== undefined),
        (l: LatencySummary) => l.sdkRoundTrips,
      ),
      apiCallsPerChunkByLatency: keyed(calls.perLatency, (l: CallSummary) => l.apiCallsPerChunk),
      apiCallsByLatency: keyed(calls.perLatency, (l: CallSummary) => ({
        sign: l.breakdown.sign,
        record: l.breakdown.record,
        all: l.breakdown.total,
        chunks: l.chunks,
      })),
      cliApiCallsPerChunk: cliCalls?.perChunk,
      costUsd: cost
        ? Object.fromEntries(
            cost.report.rows.map((r) => [
              `${r.chunkMiB}MiB`,
              { sdk: round(r.sdk.usd.total, 4), libStorage: round(r.libStorage.usd.total, 4) },
            ]),
          )
        : undefined,
      costVolumeGiB: cost ? S.costTotalGiB : undefined,
      retries: retried.totals,
      goals: {
        ratio: throughput.pass.ratio,
        ratioAt120Ms: throughput.pass.ratioAt120Ms,
        apiCallsPerChunk: calls.pass,
        cliApiCallsPerChunk: cliCalls ? cliCalls.perChunk <= GOALS.apiCallsPerChunk : undefined,
        peakRss: rss?.summary.pass,
      },
      durationS,
    };

    await mkdir(RESULTS, { recursive: true });
    const json = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      machine: { cpus: cpus().length, totalMemGiB: round(totalmem() / 1024 ** 3, 1) },
      emulator: { versions: emulators, s3Endpoint: stack.storage.s3Endpoint },
      units: 'MB = MiB = 1,048,576 bytes; times in seconds or ms as named',
      settings,
      goals: GOALS,
      summary: finalLine,
      throughput: {
        fileBytes: FILE_SIZE,
        partBytes: PART_SIZE,
        concurrency: CONCURRENCY,
        runsPerClient: RUNS,
        warmupBytes: WARMUP_SIZE,
        addedLatencyMs: LATENCIES,
        ...(({ latencyMs: _, ...rest }) => rest)(first),
        pass: throughput.pass.ratio,
        passAt120Ms: throughput.pass.ratioAt120Ms,
        byLatency: throughput.byLatency,
        runs: runs.map((r) => ({
          tool: r.tool,
          addedLatencyMs: r.latencyMs,
          run: r.run,
          seconds: round(r.seconds, 3),
          MBps: round(r.mibPerSecond, 2),
          retries: r.retries,
          ...(r.apiCalls
            ? { chunks: r.chunks, apiCalls: r.apiCalls, storagePuts: r.storagePuts }
            : {}),
        })),
      },
      apiCalls: {
        ...(({ latencyMs: _, ...rest }) => rest)(firstCalls),
        runs: RUNS,
        byLatency: calls.perLatency,
        cli: cliCalls,
      },
      cliRss:
        rss && cli && idle
          ? {
              ...rss.summary,
              processes: cli.processes,
              idleProcesses: idle.processes,
              budgetSeconds: RSS_BUDGET_S,
            }
          : undefined,
      latency: latency
        ? {
            sessions: LATENCY_SESSIONS,
            warmupSessions: LATENCY_WARMUP,
            fileBytes: LATENCY_FILE_SIZE,
            percentile: 'nearest rank',
            routes: latency.byRoute,
          }
        : undefined,
      retries: { ...retried.totals, steps: retries.retries },
      cost: cost
        ? {
            totalBytes: COST_TOTAL_BYTES,
            measurements: cost.measurements,
            volume: cost.report.rows,
            notes: cost.report.lines,
          }
        : undefined,
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
      ...throughput.byLatency.map((l) => {
        const goal =
          l.latencyMs === 0
            ? `>= ${GOALS.ratio}`
            : l.latencyMs === FAR_LATENCY_MS
              ? `>= ${GOALS.ratioAt120Ms}`
              : 'report';
        const ok =
          l.latencyMs === 0
            ? throughput.pass.ratio
            : l.latencyMs === FAR_LATENCY_MS
              ? throughput.pass.ratioAt120Ms
              : undefined;
        return `| SDK / lib-storage throughput, ${plus(l.latencyMs)} per API call | ${l.sdkMBps} / ${l.libStorageMBps} MB/s = ${l.ratio}${l.delayedRatio !== undefined ? ` (vs delayed control calls ${l.delayedRatio})` : ''} | ${goal} | ${ok === undefined ? '' : verdict(ok)} |`;
      }),
      ...calls.perLatency.map(
        (l) =>
          `| API calls (sign + record) per chunk, ${plus(l.latencyMs)} | ${l.apiCallsPerChunk} (least possible ${l.floorPerChunk}) | <= ${GOALS.apiCallsPerChunk} | ${verdict(l.pass)} |`,
      ),
      ...(cliCalls
        ? [
            `| API calls (sign + record) per chunk, CLI ${rss?.summary.fileMB} MiB upload | ${cliCalls.perChunk} | <= ${GOALS.apiCallsPerChunk} | ${verdict(cliCalls.perChunk <= GOALS.apiCallsPerChunk)} |`,
          ]
        : []),
      ...(rss
        ? [
            `| CLI peak RSS, ${rss.summary.fileMB} MiB file (whole tree / CLI process) | ${finalLine.peakRssMB} / ${finalLine.uploaderPeakRssMB} MB | <= ${GOALS.peakRssFormula} = ${GOALS.peakRssMB} MB | ${verdict(rss.summary.pass)} / ${verdict(rss.summary.uploaderPass)} |`,
          ]
        : []),
      ...(cost
        ? [
            `| cost of ${cost.report.tables[1].header[0]?.replace(/^USD for /, '')}, SDK / lib-storage, by chunk size (USD, storage not included) | ${cost.report.rows.map((r) => `${r.chunkMiB} MiB: ${round(r.sdk.usd.total, 2)} / ${round(r.libStorage.usd.total, 2)}`).join('; ')} | report | |`,
          ]
        : []),
      `| retries (runs / API answers / PUTs / S3 / latency calls / CLI) | ${Object.values(retried.totals).join(' / ')} | report | |`,
      '',
      ...sections.flatMap((section) => [sectionMarkdown(section), '']),
      '## Notes',
      '',
      ...notes.map((n) => `- ${n}`),
      '',
    ].join('\n');
    await writeFile(join(RESULTS, 'upload.md'), markdown);
    if (cost)
      await writeFile(
        join(RESULTS, 'cost.md'),
        costMarkdown(cost.report, json.measuredAt, intro.join(' ')),
      );

    console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);
    const shown = relative(ROOT, RESULTS) || '.';
    console.log(
      `\nWrote ${shown}/upload.json and ${shown}/upload.md${cost ? ` and ${shown}/cost.md` : ''}`,
    );
    console.log(JSON.stringify(finalLine));
  } finally {
    await rm(dir, { recursive: true, force: true });
    await stack.stop();
  }
}

await main(S);
