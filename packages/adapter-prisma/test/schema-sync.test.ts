import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { fragmentOf, parseSchema } from './support/schema-file.js';

const pkg = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const POSTGRES_SCHEMA = pkg('prisma/schema.prisma');
const SQLITE_SCHEMA = pkg('prisma/sqlite/schema.prisma');
const schema = parseSchema(fragmentOf(POSTGRES_SCHEMA));

const POSTGRES_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Boolean: 'boolean',
  DateTime: 'timestamp without time zone',
  Json: 'jsonb',
};
const SQLITE_TYPES: Record<string, string> = {
  String: 'TEXT',
  Int: 'INTEGER',
  BigInt: 'BIGINT',
  Float: 'REAL',
  Boolean: 'BOOLEAN',
  DateTime: 'DATETIME',
  Json: 'JSONB',
};

interface Column {
  table: string;
  name: string;
  type: string;
  nullable: boolean;
}

describe('schema files', () => {
  it('the PostgreSQL and SQLite schemas declare the same fragment', () => {
    expect(fragmentOf(SQLITE_SCHEMA)).toBe(fragmentOf(POSTGRES_SCHEMA));
  });

  it('the parser sees every model of the fragment', () => {
    expect(schema.models.map((model) => model.name).sort()).toEqual([
      'CommunityReplayConfig',
      'EgressSession',
      'ReplayClip',
      'ReplayQuotaReservation',
      'UserReplayQuota',
    ]);
    // The SDK owns no enum and no table of the app's (no File, no resource-type enum).
    expect([...schema.enums.keys()]).toEqual([]);
  });
});

// The migrations must create exactly what the schema declares: tables, columns with their
// types and nullability, primary keys and the indexes Prisma would name.
for (const { name, create } of DATABASES) {
  describe(`migrations match the schema (${name})`, () => {
    let database: TestDatabase;
    let columns: Column[];
    let indexes: string[];
    let tables: string[];

    beforeAll(async () => {
      database = await create();
      const q = database.raw.query;
      if (name === 'postgresql') {
        tables = (
          await q('SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()')
        ).map((row) => String(row.table_name));
        columns = (
          await q(
            `SELECT table_name, column_name, data_type, udt_name, is_nullable FROM information_schema.columns
             WHERE table_schema = current_schema()`,
          )
        ).map((row) => ({
          table: String(row.table_name),
          name: String(row.column_name),
          type: row.data_type === 'USER-DEFINED' ? `enum:${row.udt_name}` : String(row.data_type),
          nullable: row.is_nullable === 'YES',
        }));
        indexes = (await q('SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()')).map(
          (row) => String(row.indexname),
        );
      } else {
        tables = (await q("SELECT name FROM sqlite_master WHERE type = 'table'")).map((row) =>
          String(row.name),
        );
        columns = [];
        for (const table of tables) {
          for (const row of await q(`SELECT name, type, "notnull", pk FROM pragma_table_info('${table}')`)) {
            columns.push({
              table,
              name: String(row.name),
              type: String(row.type),
              nullable: Number(row.notnull) === 0 && Number(row.pk) === 0,
            });
          }
        }
        indexes = (await q("SELECT name FROM sqlite_master WHERE type = 'index'")).map((row) =>
          String(row.name),
        );
      }
    });

    afterAll(async () => {
      await database?.drop();
    });

    it('creates one table per model, plus the migrations table', () => {
      expect(tables.sort()).toEqual(
        [...schema.models.map((model) => model.name), '_livekit_replay_migrations'].sort(),
      );
    });

    for (const model of schema.models) {
      it(`${model.name}: columns, types, nullability and indexes`, () => {
        const actual = columns.filter((column) => column.table === model.name);
        expect(actual.map((column) => column.name).sort()).toEqual(
          model.fields.map((field) => field.name).sort(),
        );
        for (const field of model.fields) {
          const column = actual.find((c) => c.name === field.name)!;
          const isEnum = schema.enums.has(field.type);
          const expected =
            name === 'postgresql'
              ? isEnum
                ? `enum:${field.type}`
                : POSTGRES_TYPES[field.type]
              : isEnum
                ? 'TEXT'
                : SQLITE_TYPES[field.type];
          expect({ field: field.name, type: column.type, nullable: column.nullable }).toEqual({
            field: field.name,
            type: expected,
            nullable: field.optional,
          });
        }
        for (const columnsOfIndex of model.indexes) {
          expect(indexes).toContain(`${model.name}_${columnsOfIndex.join('_')}_idx`);
        }
        for (const field of model.fields.filter((f) => f.unique)) {
          expect(indexes).toContain(`${model.name}_${field.name}_key`);
        }
        if (name === 'postgresql') expect(indexes).toContain(`${model.name}_pkey`);
      });
    }

    it('has the constraints Prisma cannot express', async () => {
      expect(indexes).toContain('EgressSession_one_live_per_user');
      const insert = (id: string, status: string) =>
        database.raw.query(
          `INSERT INTO "EgressSession" ("id", "userId", "roomName", "videoTrackId", "quality", "status", "segmentDir",
             "filenamePrefix", "playlistName", "livePlaylistName", "segmentNaming", "segmentDurationSeconds", "updatedAt")
           VALUES ($1, 'raw-user', 'room', 'TR_1', '720p', $2, $1, 'p', 'a.m3u8', 'b.m3u8', 'INDEX', 2, CURRENT_TIMESTAMP)`,
          [id, status],
        );
      // Bypassing every store: the database itself refuses a second live session for a user…
      await insert('raw_1', 'active');
      await expect(insert('raw_2', 'starting')).rejects.toThrow(/unique/i);
      // …but terminal sessions do not count, and unknown statuses are refused.
      await insert('raw_3', 'stopped');
      await insert('raw_4', 'failed');
      await expect(insert('raw_5', 'paused')).rejects.toThrow(/check/i);
    });
  });
}
