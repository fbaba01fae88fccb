/** The reference app's own routes (sign-in, emulated share, chat). The replay routes go through @livekit-replay/react's client. */
import type { Channel, ChatMessage, DemoUser } from '../../shared/demo-api-types.js';

export type { Channel, ChatMessage, DemoUser };

export interface ShareMode {
  mode: 'emulated' | 'livekit';
  livekitUrl: string | null;
  channel: Channel;
  /** The server starts buffers from LiveKit's room webhooks; the page only shows them. */
  autoStart: boolean;
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const text = await response.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: keep the text
    }
    throw new Error(message || `${method} ${url} answered ${response.status}`);
  }
  return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
}

export const demoApi = {
  users: () => call<DemoUser[]>('GET', '/api/demo/users'),
  me: () => call<{ user: DemoUser | null }>('GET', '/api/demo/me'),
  signIn: (userId: string) => call<{ user: DemoUser }>('POST', '/api/demo/sign-in', { userId }),
  signOut: () => call<void>('POST', '/api/demo/sign-out'),
  mode: () => call<ShareMode>('GET', '/api/demo/mode'),
  sharing: () => call<{ sharing: boolean }>('GET', '/api/demo/share'),
  startShare: () => call<{ sharing: boolean }>('POST', '/api/demo/share'),
  stopShare: () => call<{ sharing: boolean }>('DELETE', '/api/demo/share'),
  livekitToken: () => call<{ token: string }>('GET', '/api/demo/livekit-token'),
  channelMessages: (channelId: string) =>
    call<ChatMessage[]>('GET', `/api/channels/${encodeURIComponent(channelId)}/messages`),
  directMessages: () => call<ChatMessage[]>('GET', '/api/dms'),
};
