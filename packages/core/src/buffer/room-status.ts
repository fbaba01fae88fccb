import { z } from 'zod';
import { externalIdSchema } from '../contract/schemas.js';
import type { ManagerContext } from '../runtime/context.js';
import { parseInput } from '../runtime/inputs.js';
import { LIVE_SESSION_STATUSES, type SessionStatus } from '../types.js';

export interface RoomStatus {
  roomName: string;
  /** Who is buffering in the room: ids only (anyone in the room may see this). */
  buffering: Array<{ userId: string; sessionId: string; status: SessionStatus }>;
}

/** The live buffers in a room (the seed's per-room "who is recording" indicator). */
export async function getRoomStatus(ctx: ManagerContext, raw: { roomName: string }): Promise<RoomStatus> {
  const { roomName } = parseInput(z.object({ roomName: externalIdSchema }), raw, 'room status request');
  const live = await ctx.sessions.listByStatus(LIVE_SESSION_STATUSES);
  return {
    roomName,
    buffering: live
      .filter((session) => session.roomName === roomName)
      .map((session) => ({ userId: session.userId, sessionId: session.id, status: session.status })),
  };
}
