import { readFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { FFMPEG, run } from './util.js';

export interface MachineInfo {
  date: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  disk: string;
  kernel: string;
  node: string;
  ffmpeg: string;
  loadAtStart: string;
}

async function safe(fn: () => Promise<string>, fallback = 'unknown'): Promise<string> {
  try {
    return (await fn()).trim() || fallback;
  } catch {
    return fallback;
  }
}

/** Describes the filesystem holding `path`: device, type, size, and whether it is rotational. */
async function describeDisk(path: string): Promise<string> {
  const df = await safe(() => run('df', ['-hT', path]));
  const line = df.split('\n')[1]?.split(/\s+/) ?? [];
  const [device = '?', type = '?', size = '?', , avail = '?'] = line;
  const base = device.replace(/^\/dev\//, '').replace(/p?\d+$/, '');
  const rotational = await safe(() => readFile(`/sys/block/${base}/queue/rotational`, 'utf8'), '');
  const kind =
    rotational === '0'
      ? 'kernel reports non-rotational'
      : rotational === '1'
        ? 'kernel reports rotational'
        : 'type unknown';
  return `${device} (${type}, ${size}, ${avail} free, ${kind}${base.startsWith('vd') ? ', virtio virtual disk' : ''})`;
}

export async function describeMachine(fixturesPath: string): Promise<MachineInfo> {
  const ffmpegLine = await safe(
    async () => (await run(FFMPEG, ['-hide_banner', '-version'])).split('\n')[0] ?? '',
  );
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    disk: await describeDisk(fixturesPath),
    kernel: `Linux ${release()}`,
    node: process.version,
    ffmpeg: ffmpegLine.replace(/ Copyright.*$/, ''),
    loadAtStart: loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
  };
}

export function currentLoad(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}
