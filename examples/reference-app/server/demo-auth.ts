/**
 * Development-only sign-in: pick a demo user, get a cookie. A real app puts its own auth guard
 * here (the replay routes only need `req.user.id`). Never deploy this.
 */
import {
  BadRequestException,
  Body,
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  HttpCode,
  Injectable,
  Post,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { DemoUser } from '../shared/demo-api-types.js';

export const DEMO_USERS: readonly DemoUser[] = [
  { id: 'alice', name: 'Alice' },
  { id: 'bob', name: 'Bob' },
  { id: 'carol', name: 'Carol' },
];

const COOKIE = 'replay_demo_user';

/** The demo user named by a `Cookie` header, or null. */
export function demoUserFromCookie(header: string | string[] | undefined): DemoUser | null {
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of text.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== COOKIE) continue;
    const id = decodeURIComponent(rest.join('='));
    return DEMO_USERS.find((user) => user.id === id) ?? null;
  }
  return null;
}

/** Sets `req.user` from the demo cookie; 401 without one (what an app's JWT guard would do). */
@Injectable()
export class DemoAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request & { user?: DemoUser }>();
    const user = demoUserFromCookie(req.headers.cookie);
    if (!user) throw new UnauthorizedException('Sign in as a demo user first.');
    req.user = user;
    return true;
  }
}

@Controller('api/demo')
export class DemoAuthController {
  @Get('users')
  users(): readonly DemoUser[] {
    return DEMO_USERS;
  }

  @Get('me')
  me(@Req() req: Request): { user: DemoUser | null } {
    return { user: demoUserFromCookie(req.headers.cookie) };
  }

  @Post('sign-in')
  @HttpCode(200)
  signIn(@Body() body: { userId?: unknown }, @Res({ passthrough: true }) res: Response): { user: DemoUser } {
    const user = DEMO_USERS.find((u) => u.id === body?.userId);
    if (!user)
      throw new BadRequestException(
        `Unknown demo user; pick one of ${DEMO_USERS.map((u) => u.id).join(', ')}.`,
      );
    res.cookie(COOKIE, user.id, { httpOnly: true, sameSite: 'lax', path: '/' });
    return { user };
  }

  @Post('sign-out')
  @HttpCode(204)
  signOut(@Res({ passthrough: true }) res: Response): void {
    res.clearCookie(COOKIE, { path: '/' });
  }
}
