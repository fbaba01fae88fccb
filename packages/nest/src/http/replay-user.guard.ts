import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ReplayRequestUsers } from './request-user.js';

/**
 * Resolves the caller before pipes validate anything, so an anonymous request is a 401 and
 * never a 400 about its body. Runs after the app's own guards (which set `req.user`).
 */
@Injectable()
export class ReplayUserGuard implements CanActivate {
  constructor(@Inject(ReplayRequestUsers) private readonly users: ReplayRequestUsers) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.users.userId(context.switchToHttp().getRequest());
    return true;
  }
}
