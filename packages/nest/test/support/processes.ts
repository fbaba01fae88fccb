import { readdir, readFile } from 'node:fs/promises';

/** Command lines of running ffmpeg processes that mention `needle` (Linux /proc). */
export async function ffmpegProcessesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (args[0]?.includes('ffmpeg') && cmdline.includes(needle)) found.push(args.join(' '));
  }
  return found;
}

/** Names in a directory, or none when it does not exist. */
export async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
