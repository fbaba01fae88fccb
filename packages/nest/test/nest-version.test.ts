import * as common from '@nestjs/common';
import { describe, expect, it } from 'vitest';

// Proves which Nest a run loaded, so a broken alias cannot pass the Nest 11 run on Nest 12:
// Nest 12 is ESM-only; Nest 11 is CommonJS (its namespace has a `default`, module.exports).
describe('the Nest major under test', () => {
  it('is the one this run is configured for (NEST_MAJOR)', () => {
    const loaded = 'default' in common ? '11' : '12';
    expect(loaded).toBe(process.env.NEST_MAJOR ?? '12');
  });
});
