import { parseArgs } from 'node:util';
import type { DatabaseProvider } from './connection.js';
import { loadMigrations, migrate, renderMigrations } from './migrate.js';
import type { AppForeignKeys, ReplayTableNames } from './tables.js';

const USAGE = `Usage: livekit-replay-prisma migrate [--provider postgresql|sqlite] [--url URL] [--dir DIR]
                                     [--tables MODEL=TABLE,…] [--foreign-keys TARGET=TABLE[.COLUMN],…]
       livekit-replay-prisma sql --provider postgresql|sqlite [--only NAME] [--tables …] [--foreign-keys …]

migrate  applies the livekit-replay SQL migrations the database has not seen yet.
sql      prints them instead (for an app whose own \`prisma migrate\` creates the tables from the
         fragment: add \`sql --only 0002_race_safety\` as one of your migrations).
  --provider      postgresql or sqlite (migrate: guessed from the URL when omitted)
  --url           postgresql://user@host:5432/db[?schema=name] or file:./replay.db
                  (default: $DATABASE_URL)
  --dir           a folder of *.sql migrations instead of the ones this package ships
  --tables        table names of the fragment's models, as your @@map says:
                  EgressSession=replay_sessions,ReplayClip=replay_clips
  --foreign-keys  foreign keys to your tables: users=User,communities=Community,channels=Channel
  --only          sql: print only this migration (e.g. 0002_race_safety)`;

class UsageError extends Error {}

/** `a=b,c=d` → { a: 'b', c: 'd' } */
function pairs(value: string | undefined, option: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const result: Record<string, string> = {};
  for (const entry of value.split(',')) {
    const [key, name, extra] = entry.split('=').map((part) => part.trim());
    if (!key || !name || extra !== undefined)
      throw new UsageError(`${option} takes KEY=NAME pairs, got "${entry}"`);
    result[key] = name;
  }
  return result;
}

function foreignKeys(value: string | undefined): AppForeignKeys | undefined {
  const entries = pairs(value, '--foreign-keys');
  if (!entries) return undefined;
  const result: Record<string, { table: string; column: string }> = {};
  for (const [target, ref] of Object.entries(entries)) {
    const [table, column = 'id'] = ref.split('.');
    result[target] = { table: table ?? '', column };
  }
  return result as AppForeignKeys;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], out = console.log, err = console.error): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  let render: { tables?: ReplayTableNames; foreignKeys?: AppForeignKeys };
  try {
    parsed = parse(argv);
    const tables = pairs(parsed.values.tables, '--tables') as ReplayTableNames | undefined;
    const keys = foreignKeys(parsed.values['foreign-keys']);
    render = { ...(tables ? { tables } : {}), ...(keys ? { foreignKeys: keys } : {}) };
  } catch (error) {
    err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const command = positionals[0];
  if ((command !== 'migrate' && command !== 'sql') || positionals.length > 1) {
    err(USAGE);
    return 2;
  }
  const provider = values.provider;
  if (provider !== undefined && provider !== 'postgresql' && provider !== 'sqlite') {
    err(`--provider must be postgresql or sqlite, not "${provider}"\n\n${USAGE}`);
    return 2;
  }
  try {
    if (command === 'sql') {
      if (!provider) {
        err(`sql needs --provider postgresql or sqlite\n\n${USAGE}`);
        return 2;
      }
      const all = renderMigrations(await loadMigrations(provider, values.dir), provider, render);
      const chosen = values.only ? all.filter((migration) => migration.name === values.only) : all;
      if (chosen.length === 0) {
        err(`no migration named "${values.only}"; there are ${all.map((m) => m.name).join(', ')}`);
        return 2;
      }
      out(
        chosen
          .map((migration) => `-- livekit-replay ${migration.name}\n${migration.sql.trimEnd()}\n`)
          .join('\n'),
      );
      return 0;
    }
    const result = await migrate({
      ...(provider ? { provider: provider as DatabaseProvider } : {}),
      ...(values.url ? { url: values.url } : {}),
      ...(values.dir ? { migrationsDir: values.dir } : {}),
      ...render,
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
    err(`${command} failed${code ? ` (${code})` : ''}: ${(error as Error).message}`);
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
      tables: { type: 'string' },
      'foreign-keys': { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
