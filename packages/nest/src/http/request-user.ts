import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { ReplayBufferModuleOptions, ReplayRequest } from '../options.js';
import { REPLAY_MODULE_OPTIONS } from '../tokens.js';

/** `req.user.id`, as an app's auth guard (Passport, JWT …) usually leaves it. */
export function defaultGetUserId(req: ReplayRequest): string | undefined {
  const user = req.user as { id?: unknown } | undefined;
  const id = user?.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

/** The user each request was resolved to (by the guard, then read by the handler). */
const resolved = new WeakMap<object, string>();

/** Who a request acts for, and whether it may use the admin routes (the integrator's hooks). */
@Injectable()
export class ReplayRequestUsers {
  constructor(@Inject(REPLAY_MODULE_OPTIONS) private readonly options: ReplayBufferModuleOptions) {}

  /** The user id, or 401 (with the contract's error body, through the exception filter). */
  async userId(req: ReplayRequest): Promise<string> {
    const cached = resolved.get(req);
    if (cached) return cached;
    const id = await (this.options.getUserId ?? defaultGetUserId)(req);
    if (typeof id !== 'string' || id === '') {
      throw new UnauthorizedException('No signed-in user on this request (getUserId returned nothing)');
    }
    resolved.set(req, id);
    return id;
  }

  /** Admin routes: the `isAdmin` hook decides; without one, they are closed unless `adminGuards` let the request through. */
  async isAdmin(req: ReplayRequest, hasAdminGuards: boolean): Promise<boolean> {
    if (this.options.isAdmin) return this.options.isAdmin(req);
    return hasAdminGuards;
  }
}
