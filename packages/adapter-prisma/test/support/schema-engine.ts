import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm';

/**
 * Prisma's own schema engine (the one behind `prisma migrate`), as WebAssembly, driving the
 * database through a driver adapter: no native binary, no download. The Prisma 7.10 CLI only
 * runs the native engine, so the tests call the engine that `prisma migrate diff` / `deploy`
 * would run, with the same inputs, directly. The package version pins the CLI's engine hash.
 */
type Bindings = typeof import('@prisma/schema-engine-wasm') & { __wbg_set_wasm(exports: unknown): void };

/** The bits of the WebAssembly global used here (the project's lib settings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, unknown>) => { exports: Record<string, unknown> };
}

let bindings: Promise<Bindings> | null = null;

function loadBindings(): Promise<Bindings> {
  bindings ??= (async () => {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const dir = path.dirname(entry);
    // The package imports its .wasm as an ES module (needs a flag on Node 20): instantiate by hand.
    const bg = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as unknown as Bindings;
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const module = new wasm.Module(readFileSync(path.join(dir, 'schema_engine_bg.wasm')));
    const instance = new wasm.Instance(module, { './schema_engine_bg.js': bg });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
    return bg;
  })();
  return bindings;
}

export interface PrismaMigrate {
  /**
   * `prisma migrate diff --from-schema <before> --to-schema <after> --script`: the migration
   * `prisma migrate dev` writes when the schema goes from `before` to `after`.
   */
  diff(from: string, to: string, filters: SchemaFilter): Promise<string>;
  /** `prisma migrate deploy` of these migrations (name → SQL), in order; returns the names applied. */
  deploy(migrations: Array<[string, string]>, filters: SchemaFilter): Promise<string[]>;

  close(): void;
}

/** A migrations folder as the CLI hands it to the engine (`prisma/migrations/<name>/migration.sql`). */
function migrationList(migrations: Array<[string, string]>): MigrationList {
  return {
    baseDir: '/app/prisma/migrations',
    lockfile: { path: 'migration_lock.toml', content: null },
    shadowDbInitScript: '',
    migrationDirectories: migrations.map(([name, sql]) => ({
      path: name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: sql } },
    })),
  };
}

export async function openPrismaMigrate(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schema: string,
): Promise<PrismaMigrate> {
  const { SchemaEngine: Engine } = await loadBindings();
  const engine: SchemaEngine = await Engine.new(
    { datamodels: [['schema.prisma', schema]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  return {
    async diff(from, to, filters) {
      const result = await engine.diff({
        from: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: from }] },
        to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: to }] },
        script: true,
        exitCode: null,
        filters,
      });
      return result.stdout ?? '';
    },
    async deploy(migrations, filters) {
      const { appliedMigrationNames } = await engine.applyMigrations({
        migrationsList: migrationList(migrations),
        filters,
      });
      return appliedMigrationNames;
    },

    close: () => engine.free(),
  };
}
