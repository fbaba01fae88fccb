import { parseArgs } from 'node:util';
import type { DatabaseProvider } from './connection.js';
import { migrate } from './migrate.js';

const USAGE = `Usage: livekit-replay-prisma migrate [--provider postgresql|sqlite] [--url URL] [--dir DIR]

Applies the livekit-replay SQL migrations the database has not seen yet.
  --provider   postgresql or sqlite (guessed from the URL when omitted)
  --url        postgresql://user@host:5432/db[?schema=name] or file:./replay.db
               (default: $DATABASE_URL)
  --dir        a folder of *.sql migrations instead of the ones this package ships`;

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], out = console.log, err = console.error): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if (positionals[0] !== 'migrate' || positionals.length > 1) {
    err(USAGE);
    return 2;
  }
  const provider = values.provider;
  if (provider !== undefined && provider !== 'postgresql' && provider !== 'sqlite') {
    err(`--provider must be postgresql or sqlite, not "${provider}"\n\n${USAGE}`);
    return 2;
  }
  try {
    const result = await migrate({
      ...(provider ? { provider: provider as DatabaseProvider } : {}),
      ...(values.url ? { url: values.url } : {}),
      ...(values.dir ? { migrationsDir: values.dir } : {}),
      log: (line) => out(line),
    });
    out(
      result.applied.length === 0
        ? `database is up to date (${result.alreadyApplied.length} migrations applied before)`
        : `applied ${result.applied.length} migration(s); ${result.alreadyApplied.length} were applied before`,
    );
    return 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    err(`migrate failed${code ? ` (${code})` : ''}: ${(error as Error).message}`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      provider: { type: 'string' },
      url: { type: 'string' },
      dir: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
