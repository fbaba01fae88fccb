/** Shapes of the reference app's own routes (sign-in, chat), shared by the server and the page. */

export interface DemoUser {
  id: string;
  name: string;
}

export interface Channel {
  id: string;
  name: string;
  roomName: string;
  communityId: string;
}

/** A chat message; shared clips arrive as messages through the ClipSharer hook. */
export interface ChatMessage {
  id: string;
  kind: 'channel' | 'dm';
  channelId: string | null;
  recipientUserId: string | null;
  authorId: string;
  text: string | null;
  clipId: string;
  createdAt: string;
}
