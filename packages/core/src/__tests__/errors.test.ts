import { describe, expect, it } from 'vitest';
import { errorResponseSchema } from '../contract/schemas.js';
import {
  ReplayBufferError,
  ReplayErrorCode,
  replayErrorUserMessages,
  toReplayBufferError,
} from '../errors.js';

describe('ReplayBufferError', () => {
  it.each(Object.values(ReplayErrorCode))('%s has a short userMessage a UI can show as it is', (code) => {
    const error = new ReplayBufferError(code, `developer text for ${code}`, { details: { x: 1 } });
    expect(error.userMessage).toBe(replayErrorUserMessages[code]);
    expect(error.userMessage.length).toBeGreaterThan(10);
    expect(error.userMessage.length).toBeLessThanOrEqual(120);
    expect(error.userMessage).not.toMatch(/[A-Z]{2,}_[A-Z]+|ffmpeg|egress|webhook/i);
    const json = error.toJSON();
    expect(json).toEqual({
      code,
      message: `developer text for ${code}`,
      userMessage: error.userMessage,
      details: { x: 1 },
    });
    expect(errorResponseSchema.parse(JSON.parse(JSON.stringify(error)))).toEqual(json);
  });

  it("uses the seed's wording while the buffer warms up", () => {
    expect(new ReplayBufferError(ReplayErrorCode.NO_SEGMENTS, 'no segments yet').userMessage).toBe(
      'Your replay is still warming up. Keep sharing your screen for a few seconds, then try again.',
    );
  });

  it('takes a more precise userMessage when one is given, and keeps it through toReplayBufferError', () => {
    const error = new ReplayBufferError(ReplayErrorCode.SESSION_NOT_FOUND, 'none', {
      userMessage: 'Start sharing first.',
    });
    expect(toReplayBufferError(error).userMessage).toBe('Start sharing first.');
    expect(toReplayBufferError(new Error('boom')).userMessage).toBe(replayErrorUserMessages.INTERNAL);
  });
});
