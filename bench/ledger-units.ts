/**
 * The chunk ledger's cost and speed: records a 10,000-chunk session in batches (as the SDK does)
 * through the ledger adapter on the emulator, and prints write units per chunk (by DynamoDB's
 * published rules; moto reports none for transactions), records/s, the largest item and the time
 * to complete: reading the ledger, listing the parts and assembling them on LocalStack.
 * Writes bench/results/ledger.json and ends with one JSON line.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureBucket, ensureTable } from '../local/bootstrap.ts';
import { startEmulators } from '../local/emulator.ts';
import {
  createAssemblyS3Client,
  createDocumentClient,
  createS3Client,
} from '../src/adapters/aws-clients.ts';
import { DEFAULT_CHUNKS_PER_PAGE } from '../src/adapters/dynamo-chunk-pages.ts';
import { DynamoSessionLedger } from '../src/adapters/dynamo-session-ledger.ts';
import { S3UploadStorage } from '../src/adapters/s3-upload-storage.ts';
import { MAX_CHUNKS } from '../src/domain/chunk-plan.ts';
import { emulatorVersion, useEmbeddedEmulator } from './emulated-env.ts';
import { measureCompletion } from './ledger/completion.ts';
import { largestItem, measureRate, measureUnits } from './ledger/record-costs.ts';
import { note, retries, round, timed } from './ledger/support.ts';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');

const { values: flags } = parseArgs({
  options: {
    chunks: { type: 'string', default: String(MAX_CHUNKS) },
    batch: { type: 'string', default: '64' },
    'in-flight': { type: 'string', default: '2' },
    'complete-parts': { type: 'string', default: '200' },
    'list-parts': { type: 'string', default: String(MAX_CHUNKS) },
    'sweep-chunks': { type: 'string', default: '1024' },
  },
});
const CHUNKS = Number(flags.chunks);
/** Page sizes the sweep compares (the adapter's default among them). */
const PAGE_SIZES = [...new Set([8, 16, 32, 64, DEFAULT_CHUNKS_PER_PAGE])].sort((a, b) => a - b);
const BATCH = Number(flags.batch);

async function main(): Promise<void> {
  const names = useEmbeddedEmulator('ledger-units');
  const versions = await emulatorVersion();
  note('starting the emulators');
  const emulators = await startEmulators({ log: (line) => note(line) });
  try {
    const aws = { region: 'us-east-1', endpoint: emulators.dynamodbEndpoint };
    await ensureTable(new DynamoDBClient(aws), names.table);
    const s3 = createS3Client({ region: 'us-east-1', endpoint: emulators.s3Endpoint });
    await ensureBucket(s3, names.bucket);
    const storage = new S3UploadStorage(
      s3,
      names.bucket,
      createAssemblyS3Client({ region: 'us-east-1', endpoint: emulators.s3Endpoint }),
    );
    const reader = createDocumentClient(aws);

    note(`recording ${CHUNKS} chunks in batches of ${BATCH}, charging each write`);
    const units = await measureUnits(createDocumentClient(aws), reader, names.table, {
      chunks: CHUNKS,
      batch: BATCH,
      chunksPerPage: DEFAULT_CHUNKS_PER_PAGE,
    });
    const [recorded, readSeconds] = await timed(() => units.ledger.readChunks(units.session.id));
    const partition = await largestItem(reader, names.table, units.session.id);

    const sweep = [];
    for (const chunksPerPage of PAGE_SIZES) {
      for (const batch of [1, 32, 64, 100]) {
        const chunks = batch === 1 ? 256 : Number(flags['sweep-chunks']);
        note(`sweep: ${chunks} chunks, batches of ${batch}, ${chunksPerPage} chunks a page`);
        const {
          session: _s,
          ledger: _l,
          ...row
        } = await measureUnits(createDocumentClient(aws), reader, names.table, {
          chunks,
          batch,
          chunksPerPage,
        });
        sweep.push(row);
      }
    }

    note(`timing ${CHUNKS} records in batches of ${BATCH}, ${flags['in-flight']} in flight`);
    const rateLedger = new DynamoSessionLedger(createDocumentClient(aws), names.table);
    const rate = await measureRate(rateLedger, CHUNKS, BATCH, Number(flags['in-flight']));
    const rate100 = await measureRate(rateLedger, CHUNKS, 100, Number(flags['in-flight']));

    const completion = await measureCompletion(
      { listParts: Number(flags['list-parts']), completeParts: Number(flags['complete-parts']) },
      storage,
      s3,
      names.bucket,
    );
    const { session: _session, ledger: _ledger, ...measured } = units;
    const summary = {
      pass:
        measured.unitsPerChunk <= 2 &&
        rate.recordsPerSecond >= 500 &&
        partition.largestItemBytes < 32 * 1024,
      chunks: CHUNKS,
      batch: BATCH,
      chunksPerPage: DEFAULT_CHUNKS_PER_PAGE,
      writeUnitsPerChunk: measured.unitsPerChunk,
      tableUnits: measured.tableUnits,
      indexUnits: measured.indexUnits,
      transactions: measured.transactions,
      recordsPerSecond: rate.recordsPerSecond,
      recordsPerSecondBatch100: rate100.recordsPerSecond,
      largestItemBytes: partition.largestItemBytes,
      ledgerItems: partition.items,
      readLedgerSeconds: readSeconds,
      listPartsSeconds: completion.listParts.seconds,
      completeSeconds: completion.assembly.completeMultipartUploadSeconds,
      completeParts: completion.assembly.parts,
      transientRetries: retries.transient,
      emulatorReportedUnits: measured.emulatorReportedUnits,
    };
    if (recorded.size !== CHUNKS)
      throw new Error(`ledger holds ${recorded.size} of ${CHUNKS} chunks`);
    const notes = [
      "Write units follow DynamoDB's published rules (item size = attribute names + values; ceil(max(old, new) / 1 KB) per item written, x2 in a transaction; the GSI pays its own write, by the index entry plus 100 bytes, when a projected attribute changes). moto answers ReturnConsumedCapacity with nothing for TransactWriteItems, so its figure (emulatorReportedUnits) is not used.",
      'Records/s is one session recorded through the ledger adapter on moto (DynamoDB calls serialised by local/moto_server_atomic.py) on this machine; reads for the unit figures happen in a separate, untimed pass.',
      `S3 parts must be at least 5 MiB except the last: ${MAX_CHUNKS} x 5 MiB (50 GB) does not fit this machine, so ListParts is timed on ${MAX_CHUNKS} one-byte parts (LocalStack ${completion.assemblyOfOneByteParts} assembling them) and CompleteMultipartUpload on ${completion.assembly.parts} parts of 5 MiB.`,
      'Completing a 10,000-chunk session reads the ledger (readLedgerSeconds), lists the parts (listPartsSeconds) and assembles them; on AWS the assembly of 50 GB takes S3 far longer than any of this.',
    ];
    console.log(
      `Node ${process.version}, ${cpus().length} CPUs, ${round(totalmem() / 1024 ** 3, 0)} GiB RAM; ${versions}`,
    );
    console.log(
      `write units per chunk: ${measured.unitsPerChunk} (${measured.tableUnits} table + ${measured.indexUnits} index over ${CHUNKS} chunks, ${measured.transactions} transactions)`,
    );
    console.log(
      `records/s: ${rate.recordsPerSecond} (batches of ${BATCH}), ${rate100.recordsPerSecond} (batches of 100); transient retries: ${retries.transient}`,
    );
    console.log(
      `largest item: ${partition.largestItemBytes} bytes of ${partition.items} items; ledger read: ${readSeconds} s`,
    );
    console.log(
      `ListParts of ${completion.listParts.parts} parts: ${completion.listParts.seconds} s; CompleteMultipartUpload of ${completion.assembly.parts} x 5 MiB: ${completion.assembly.completeMultipartUploadSeconds} s`,
    );
    console.log('sweep (units per chunk):');
    for (const row of sweep)
      console.log(
        `  ${row.chunksPerPage} a page, batches of ${row.batch}: ${row.unitsPerChunk} (largest item ${row.largestItemBytes} B)`,
      );
    await mkdir(RESULTS, { recursive: true });
    await writeFile(
      join(RESULTS, 'ledger.json'),
      `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, machine: { cpus: cpus().length, totalMemGiB: round(totalmem() / 1024 ** 3, 1) }, emulator: versions, summary, rates: [rate, rate100], sweep, completion, notes }, null, 2)}\n`,
    );
    console.log(JSON.stringify(summary));
  } finally {
    await emulators.stop();
  }
}

await main();
