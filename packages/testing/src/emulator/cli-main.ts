import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type EgressEmulator, startEgressEmulator } from './emulator.js';

const HELP = `livekit-replay-emulator — a local stand-in for LiveKit's egress service

Answers the Twirp Egress API (StartTrackCompositeEgress, StopEgress, ListEgress) that
livekit-server-sdk's EgressClient calls, writes HLS segments + playlists like LiveKit's
egress (ffmpeg test picture with the wall clock burnt in, AAC beeps each second), and
sends signed egress webhooks.

Options:
  --port <n>              listen port on 127.0.0.1 (default 7880)
  --host <addr>           listen address (default 127.0.0.1)
  --api-key <key>         API key (default devkey, or LIVEKIT_API_KEY)
  --api-secret <secret>   API secret (default secret-secret-secret-secret-secret, or LIVEKIT_API_SECRET)
  --segments-root <dir>   where relative filenamePrefix paths go (default ./livekit-egress)
  --webhook-url <url>     POST signed webhooks here
  --history-seconds <n>   start every egress with n seconds of past recording (default 0)
  --max-fps <n>           cap the encoded frame rate to save CPU
  --max-height <n>        cap the encoded height to save CPU
  --ffmpeg <path>         ffmpeg binary (default FFMPEG_PATH or ffmpeg on PATH)
  --cloud                 like LiveKit Cloud: refuse outputs without an upload (S3) config
  -h, --help              show this help
`;

function num(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

/**
 * Runs the emulator CLI until `signal` aborts (the bin wires SIGINT/SIGTERM to it), then
 * closes it (ffmpeg children killed, staging removed). Returns the exit code.
 */
export async function runEmulatorCli(
  argv: string[],
  io: { signal: AbortSignal; print?: (line: string) => void; onReady?: (emu: EgressEmulator) => void },
): Promise<number> {
  const print = io.print ?? ((line: string) => console.log(line));
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    print(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    print(HELP);
    return 0;
  }
  let emu: EgressEmulator;
  try {
    emu = await startEgressEmulator({
      port: num(values.port, 'port') ?? 7880,
      host: values.host ?? '127.0.0.1',
      apiKey: values['api-key'] ?? process.env.LIVEKIT_API_KEY ?? 'devkey',
      apiSecret:
        values['api-secret'] ?? process.env.LIVEKIT_API_SECRET ?? 'secret-secret-secret-secret-secret',
      segmentsRoot: resolve(values['segments-root'] ?? 'livekit-egress'),
      webhookUrl: values['webhook-url'],
      historySeconds: num(values['history-seconds'], 'history-seconds'),
      maxFrameRate: num(values['max-fps'], 'max-fps'),
      maxHeight: num(values['max-height'], 'max-height'),
      ffmpegPath: values.ffmpeg,
      cloud: values.cloud === true,
      onLog: (m) => print(`[egress] ${m}`),
    });
  } catch (err) {
    print(`could not start the egress emulator: ${(err as Error).message}`);
    return 1;
  }
  print(`LiveKit egress emulator listening on ${emu.url}`);
  print(`  LIVEKIT_URL=${emu.url}`);
  print(`  LIVEKIT_API_KEY=${emu.apiKey}`);
  print(`  LIVEKIT_API_SECRET=${emu.apiSecret}`);
  print(`  segments root: ${emu.root}`);
  print(`  webhooks: ${values['webhook-url'] ?? '(none; pass --webhook-url)'}`);
  if (values.cloud) print('  cloud mode: segmented outputs must upload to S3');
  io.onReady?.(emu);
  if (!io.signal.aborted) {
    await new Promise<void>((res) => io.signal.addEventListener('abort', () => res(), { once: true }));
  }
  print('shutting down…');
  await emu.close();
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      'api-secret': { type: 'string' },
      'segments-root': { type: 'string' },
      'webhook-url': { type: 'string' },
      'history-seconds': { type: 'string' },
      'max-fps': { type: 'string' },
      'max-height': { type: 'string' },
      ffmpeg: { type: 'string' },
      cloud: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
