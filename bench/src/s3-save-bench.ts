// A save from segments in S3 against the same save from local disk, in one run: the fixture is
// uploaded to s3rver on loopback under a key prefix, `S3SegmentSource` lists it, and
// `FfmpegMediaPipeline.cut({ source })` reads the selected segments through ranged GETs.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { FfmpegMediaPipeline, type Segment, type SegmentIndexSnapshot } from '@livekit-replay/core/adapter';
import { createS3Client, S3SegmentSource } from '@livekit-replay/storage-s3';
import { startS3TestServer } from '@livekit-replay/testing';
import type { Fixture } from './fixtures.js';
import { table } from './report-stores.js';
import { liveSaveJob } from './save-bench.js';
import { errorMessage, fmt, log, median, nowMs } from './util.js';

const BUCKET = 'bench-segments';
const KEY_PREFIX = 'segments/bench';
/** The manager's save: accurate (smart cut). */
const MODE = 'accurate';

export interface S3SaveRun {
  ms: number;
  /** CPU of this process (and s3rver, which runs in it for the S3 rows) plus ffmpeg, seconds. */
  cpuSeconds: number;
  sha256: string;
}

export interface S3SaveRow {
  label: string;
  seconds: number;
  segments: number;
  bytes: number;
  local: S3SaveRun[];
  s3: S3SaveRun[];
  /** GET requests s3rver answered during one S3 save. */
  s3Gets: number;
}

export interface S3SaveBench {
  objects: number;
  uploadedBytes: number;
  uploadSeconds: number;
  /** First `list()` of the whole buffer (both playlists and the listing), ms. */
  listMs: number;
  rows: S3SaveRow[];
  error?: string;
}

/** utime + stime of this process and its waited-for children, seconds. */
async function cpuSeconds(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return (fields[11]! + fields[12]! + fields[13]! + fields[14]!) / 100;
}

async function timedCut(
  segments: Segment[],
  range: { startMs: number; endMs: number },
  workDir: string,
  source?: S3SegmentSource,
): Promise<S3SaveRun> {
  const pipeline = new FfmpegMediaPipeline();
  const outputPath = join(workDir, `out-${source ? 's3' : 'local'}.mp4`);
  const cpuBefore = await cpuSeconds();
  const started = nowMs();
  const result = await pipeline.cut({
    segments,
    ...range,
    mode: MODE,
    ...(source ? { source } : {}),
    outputPath,
    workDir: join(workDir, `cut-${Date.now()}`),
  });
  const ms = nowMs() - started;
  const cpu = (await cpuSeconds()) - cpuBefore;
  await rm(outputPath, { force: true });
  return { ms, cpuSeconds: cpu, sha256: result.sha256 };
}

export async function benchS3Saves(options: {
  fixture: Fixture;
  snapshot: SegmentIndexSnapshot;
  minutes: number[];
  repeats: number;
  workRoot: string;
}): Promise<S3SaveBench> {
  const server = await startS3TestServer({ buckets: [BUCKET] });
  const config = {
    bucket: BUCKET,
    region: server.region,
    endpoint: server.endpoint,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
  };
  const client = createS3Client(config);
  const result: S3SaveBench = { objects: 0, uploadedBytes: 0, uploadSeconds: 0, listMs: 0, rows: [] };
  try {
    const uploadStart = nowMs();
    for (const name of await readdir(options.fixture.dir)) {
      const body = await readFile(join(options.fixture.dir, name));
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${KEY_PREFIX}/${name}`, Body: body }));
      result.objects++;
      result.uploadedBytes += body.length;
    }
    result.uploadSeconds = (nowMs() - uploadStart) / 1000;
    const source = new S3SegmentSource({
      client,
      bucket: BUCKET,
      layout: {
        dir: KEY_PREFIX,
        filenamePrefix: options.fixture.filenamePrefix,
        playlistName: options.fixture.playlistName,
        livePlaylistName: options.fixture.livePlaylistName,
        naming: 'INDEX',
        segmentDurationSeconds: options.fixture.params.segmentSeconds,
      },
    });
    const listStart = nowMs();
    const remote = await source.list();
    result.listMs = nowMs() - listStart;
    const byName = new Map(remote.segments.map((s) => [s.name, s]));
    log(
      `  s3: ${result.objects} objects (${fmt(result.uploadedBytes / 1e6, 0)} MB) uploaded in ${fmt(result.uploadSeconds, 1)} s; list ${fmt(result.listMs, 0)} ms`,
    );

    for (const minutes of options.minutes) {
      const label = `${minutes} min`;
      const workDir = join(options.workRoot, `s3-save-${label.replace(/\W+/g, '-')}`);
      const job = liveSaveJob(options.snapshot, minutes * 60, workDir);
      await mkdir(workDir, { recursive: true }); // the cut writes its output here
      const remoteSegments = job.segments.map((s) => {
        const found = byName.get(s.name);
        if (!found) throw new Error(`segment ${s.name} is not listed in the bucket`);
        return found;
      });
      const range = { startMs: job.startMs, endMs: job.endMs };
      const row: S3SaveRow = {
        label,
        seconds: minutes * 60,
        segments: job.segments.length,
        bytes: job.segments.reduce((sum, s) => sum + s.sizeBytes, 0),
        local: [],
        s3: [],
        s3Gets: 0,
      };
      // One untimed save of each first (code compiled, page cache warm), then interleaved.
      await timedCut(job.segments, range, workDir);
      await timedCut(remoteSegments, range, workDir, source);
      for (let r = 0; r < options.repeats; r++) {
        row.local.push(await timedCut(job.segments, range, workDir));
        const getsBefore = server.requests.filter((q) => q.method === 'GET').length;
        row.s3.push(await timedCut(remoteSegments, range, workDir, source));
        row.s3Gets = server.requests.filter((q) => q.method === 'GET').length - getsBefore;
        log(
          `  ${label} local ${fmt(row.local.at(-1)!.ms / 1000)} s, s3 ${fmt(row.s3.at(-1)!.ms / 1000)} s (${row.s3Gets} GETs)`,
        );
      }
      result.rows.push(row);
      await rm(workDir, { recursive: true, force: true });
    }
  } catch (error) {
    result.error = errorMessage(error);
    log(`  s3 saves failed: ${result.error}`);
  } finally {
    client.destroy();
    await server.close();
  }
  return result;
}

const medianOf = (runs: S3SaveRun[], pick: (r: S3SaveRun) => number) =>
  runs.length ? median(runs.map(pick)) : null;

/** The BENCHMARKS.md section. */
export function renderS3Saves(bench: S3SaveBench | null | undefined): string[] {
  if (!bench) return [];
  const out = [
    '## Saves from segments in S3',
    '',
    `The same accurate save (\`FfmpegMediaPipeline.cut\`, last N minutes as in "Time to clip") from the local fixture and from the same segments in a bucket: ${bench.objects} objects (${fmt(bench.uploadedBytes / 1e6, 0)} MB) on s3rver on loopback, read through \`S3SegmentSource\` (\`cut({ source })\`: the in-process remux streams each selected segment from the bucket with ranged GETs, the next one read ahead; nothing is copied to disk first). Both run in this process, interleaved; s3rver runs here too, so the S3 rows' CPU includes serving the GETs. Listing the whole buffer (both playlists and ListObjectsV2) took ${fmt(bench.listMs, 0)} ms.`,
    '',
  ];
  if (bench.error) out.push(`Not fully measured: ${bench.error}.`, '');
  if (bench.rows.length === 0) return out;
  out.push(
    table(
      [
        'Save',
        'Segments (MB)',
        'Local wall (s)',
        'S3 wall (s)',
        'S3 − local (s)',
        'Local CPU (s)',
        'S3 CPU (s)',
        'GETs',
        'Same bytes',
      ],
      bench.rows.map((row) => {
        const local = medianOf(row.local, (r) => r.ms / 1000);
        const s3 = medianOf(row.s3, (r) => r.ms / 1000);
        const same = row.s3.every((r) => r.sha256 === row.local[0]?.sha256);
        return [
          row.label,
          `${row.segments} (${fmt(row.bytes / 1e6, 0)})`,
          fmt(local),
          fmt(s3),
          local !== null && s3 !== null ? fmt(s3 - local) : '—',
          fmt(medianOf(row.local, (r) => r.cpuSeconds)),
          fmt(medianOf(row.s3, (r) => r.cpuSeconds)),
          String(row.s3Gets),
          same ? 'yes' : 'no',
        ];
      }),
    ),
    '',
  );
  return out;
}
