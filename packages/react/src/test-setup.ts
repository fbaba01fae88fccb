import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// Testing Library cleans up by itself only with vitest globals on; this project keeps them off.
afterEach(() => cleanup());
