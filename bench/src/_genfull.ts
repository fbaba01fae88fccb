import { ensureFixture } from './fixtures.js';

const f = await ensureFixture({ preset: '1080p30', seconds: 606, segmentSeconds: 2 });
console.log(f.key, f.segmentCount, f.totalBytes, f.generationSeconds);
