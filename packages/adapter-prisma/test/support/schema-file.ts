import { readFileSync } from 'node:fs';

export const FRAGMENT_MARK = '// ---- livekit-replay fragment starts ----';

export interface SchemaField {
  name: string;
  type: string;
  optional: boolean;
  unique: boolean;
  id: boolean;
}

export interface SchemaModel {
  name: string;
  /** Scalar and enum fields (relation fields left out). */
  fields: SchemaField[];
  /** Column lists of @@index. */
  indexes: string[][];
  /** Columns of @@id, or the single @id field. */
  primaryKey: string[];
}

export interface ParsedSchema {
  models: SchemaModel[];
  enums: Map<string, string[]>;
}

export const SCALARS = new Set(['String', 'Int', 'BigInt', 'Float', 'Boolean', 'DateTime', 'Json']);

export function fragmentOf(file: string): string {
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(FRAGMENT_MARK);
  if (at < 0) throw new Error(`${file} has no fragment marker`);
  return text.slice(at);
}

/** A small parser for the subset of Prisma schema syntax the fragment uses. */
export function parseSchema(text: string): ParsedSchema {
  const blocks = [...text.matchAll(/^(model|enum)\s+(\w+)\s*\{([\s\S]*?)^\}/gm)];
  const enums = new Map<string, string[]>();
  for (const [, kind, name, body] of blocks) {
    if (kind !== 'enum') continue;
    enums.set(
      name!,
      body!
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('//')),
    );
  }
  const models: SchemaModel[] = [];
  for (const [, kind, name, body] of blocks) {
    if (kind !== 'model') continue;
    const model: SchemaModel = { name: name!, fields: [], indexes: [], primaryKey: [] };
    for (const raw of body!.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('//')) continue;
      const block = /^@@(id|index|unique)\(\[([^\]]*)\]/.exec(line);
      if (block) {
        const columns = block[2]!.split(',').map((column) => column.trim().replace(/\(.*\)$/, ''));
        if (block[1] === 'id') model.primaryKey = columns;
        else if (block[1] === 'index') model.indexes.push(columns);
        continue;
      }
      const field = /^(\w+)\s+(\w+)(\[\]|\?)?(.*)$/.exec(line);
      if (!field) continue;
      const [, fieldName, type, modifier, rest] = field;
      if (modifier === '[]' || (!SCALARS.has(type!) && !enums.has(type!))) continue;
      const entry: SchemaField = {
        name: fieldName!,
        type: type!,
        optional: modifier === '?',
        unique: /@unique\b/.test(rest!),
        id: /@id\b/.test(rest!),
      };
      if (entry.id) model.primaryKey = [entry.name];
      model.fields.push(entry);
    }
    models.push(model);
  }
  return { models, enums };
}
