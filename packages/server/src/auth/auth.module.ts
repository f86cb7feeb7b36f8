import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../db/db';
import { persistentSecret } from '../db/persistent-secret';
import type { EventBus } from '../shared/events';
import { authRoutes } from './auth.routes';
import { AuthService } from './auth.service';
import { LoginBackoff } from './login-backoff';
import { LogNotifier, NoNotifier, type Notifier } from './notifier';
import { PasswordResetService } from './password-reset';
import { SessionGuard } from './sessions';
import { TokenService } from './tokens';
import { usersRoutes } from '../users/users.routes';
import { UsersService } from '../users/users.service';

export interface AuthModuleDeps {
  config: Config;
  db: Db;
  bus: EventBus;
  logger: Logger;
}

export interface AuthModule {
  auth: AuthService;
  /** forgotten passwords; the app gives it an SMS channel when SMS is on */
  reset: PasswordResetService;
  tokens: TokenService;
  sessions: SessionGuard;
  /** delivers registration codes; the development one keeps recent notices for tests */
  notifier: Notifier;
  /** sign-in and the account's own routes, and the console's people management */
  routes: ReturnType<typeof authRoutes>;
}

/**
 * Wires accounts and sessions: tokens signed with JWT_SECRET (or one kept in the database),
 * demo accounts closed outside demo mode, the operator account of ADMIN_EMAIL made if missing.
 */
export async function startAuth(deps: AuthModuleDeps): Promise<AuthModule> {
  const { config, db, bus, logger } = deps;
  const jwtSecret = config.JWT_SECRET ?? (await persistentSecret(db, 'jwt_secret'));
  const tokens = new TokenService(jwtSecret, config.JWT_TTL_S);
  const sessions = new SessionGuard(db, tokens, bus, config.mode.demo);
  const notifier: Notifier =
    config.NOTIFIER === 'log' ? new LogNotifier(logger.child({ part: 'notifier' })) : new NoNotifier();
  const backoff = new LoginBackoff(db, {
    afterFailures: config.LOGIN_BACKOFF_AFTER_FAILURES,
    baseS: config.LOGIN_BACKOFF_BASE_S,
    maxS: config.LOGIN_BACKOFF_MAX_S,
  });
  const auth = new AuthService(db, tokens, bus, backoff, notifier, config.mode.demo);
  auth.onDeliveryFailed = (err) => logger.error({ err }, 'a registration message was not delivered');
  const reset = new PasswordResetService(db, bus, backoff, notifier, config.mode.demo);
  reset.onDeliveryFailed = (err) => logger.error({ err }, 'a password reset message was not delivered');
  await closeDemoAccounts(auth, config, logger);
  await bootstrapAdmin(auth, config, logger);
  const users = new UsersService(db, bus);
  const routes: ReturnType<typeof authRoutes> = async (app) => {
    await app.register(authRoutes(auth, reset));
    await app.register(usersRoutes(users));
  };
  return { auth, reset, tokens, sessions, notifier, routes };
}

/**
 * Demo accounts (users.demo) exist for demo mode only. Accounts the demo made before they were
 * flagged are flagged first; outside demo mode every flagged account's sign-in and sessions,
 * even ones issued before, are refused.
 */
async function closeDemoAccounts(auth: AuthService, config: Config, logger: Logger) {
  const flagged = await auth.flagLegacyDemoAccounts();
  if (flagged.length > 0) logger.warn({ emails: flagged }, 'accounts with the demo password flagged as demo');
  if (config.mode.demo) return;
  // SessionGuard refuses their sessions and AuthService their sign-in outside demo mode.
  const ids = await auth.demoUserIds();
  if (ids.length > 0) logger.warn({ accounts: ids.length }, 'demo accounts cannot sign in outside demo mode');
}

async function bootstrapAdmin(auth: AuthService, config: Config, logger: Logger) {
  if (!config.ADMIN_EMAIL || !config.ADMIN_PASSWORD) return;
  const email = config.ADMIN_EMAIL.toLowerCase();
  const admin = await auth.bootstrapAdmin({ email, password: config.ADMIN_PASSWORD, name: 'Administrator' });
  if (admin.created) logger.info({ email }, 'operator account created from ADMIN_EMAIL');
  else if (admin.role !== 'admin' || admin.demo)
    logger.warn(
      { email, role: admin.role, demo: admin.demo },
      'ADMIN_EMAIL names an existing account that is not a usable operator; it is left as it is',
    );
}
