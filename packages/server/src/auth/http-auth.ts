import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/errors';
import { can } from '../shared/access';
import { routeAuth, routePermission } from '../shared/http';
import type { SessionGuard } from './sessions';

/** Sets `request.caller` and `request.account` from the bearer token, as the route's `auth` level asks. */
export function registerAuthHook(app: FastifyInstance, sessions: SessionGuard): void {
  app.decorateRequest('caller', null);
  app.decorateRequest('account', null);
  app.addHook('onRequest', async (request) => {
    const level = routeAuth(request);
    if (level === 'device') return;
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : null;
    if (level === 'public') {
      // A signed-in browser on a public path (the page, an unknown path) is still counted by
      // account; a bad token here is simply anonymous.
      if (token)
        request.account = await sessions.authenticate(token).then(
          (c) => c.userId,
          () => null,
        );
      return;
    }
    if (!token) throw new AppError('UNAUTHENTICATED');
    const { kind, userId, role, mustChangePassword } = await sessions.authenticate(token);
    request.account = userId;
    if (mustChangePassword && request.routeOptions.config.duringPasswordChange !== true)
      throw new AppError('PASSWORD_CHANGE_REQUIRED');
    const caller = { kind, userId, role };
    if (level === 'admin' && !can(caller, routePermission(request))) throw new AppError('FORBIDDEN');
    request.caller = caller;
  });
}
