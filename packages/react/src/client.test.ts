import { describe, expect, it } from 'vitest';
import { createReplayClient } from './client.js';
import { ReplayApiError } from './errors.js';

describe('createReplayClient', () => {
  it('builds URLs from the contract routes, sends the token, and parses the error answer', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const client = createReplayClient({
      baseUrl: 'https://api.example.com/app',
      getToken: async () => 'tok',
      fetch: async (input, init = {}) => {
        seen.push({ url: String(input), init });
        return Response.json(
          {
            code: 'QUOTA_EXCEEDED',
            message: 'user u1 over quota',
            userMessage: 'Your clip storage is full.',
          },
          { status: 413 },
        );
      },
    });
    const error = await client.capture({ durationSeconds: 60 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayApiError);
    expect(error).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      userMessage: 'Your clip storage is full.',
      status: 413,
    });
    expect(seen[0]?.url).toBe('https://api.example.com/app/livekit/replay/capture');
    expect(seen[0]?.init.method).toBe('POST');
    expect((seen[0]!.init.headers as Record<string, string>).authorization).toBe('Bearer tok');
    expect(client.clipPosterUrl('c/1')).toBe('https://api.example.com/app/livekit/replay/clips/c%2F1/poster');
    expect(client.url({ relative: 'preview/playlist.m3u8?session=s1' })).toBe(
      'https://api.example.com/app/livekit/replay/preview/playlist.m3u8?session=s1',
    );
  });

  it('a non-JSON failure and a network failure still carry a code and a userMessage', async () => {
    const broken = createReplayClient({
      baseUrl: 'http://x',
      fetch: async () => new Response('<html>bad gateway</html>', { status: 502 }),
    });
    await expect(broken.getSession()).rejects.toMatchObject({ code: 'HTTP_ERROR', status: 502 });
    const offline = createReplayClient({
      baseUrl: 'http://x',
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const error = (await offline.getSession().catch((e: unknown) => e)) as ReplayApiError;
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.userMessage).toMatch(/connection/);
  });

  it('refuses an answer that does not match the contract', async () => {
    const client = createReplayClient({
      baseUrl: 'http://x',
      fetch: async () => Response.json({ nope: true }),
    });
    await expect(client.getQuota()).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });
});
