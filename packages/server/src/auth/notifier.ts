import type { Logger } from 'pino';

/** A message to a person, delivered out of band (email; reset codes also go by SMS, through the outbox). */
export type Notice =
  | { kind: 'verification_code'; to: string; code: string }
  /** someone tried to register an address that already has an account */
  | { kind: 'registration_attempt'; to: string }
  /** a code that sets a new password for the account of this address (forgotten password) */
  | { kind: 'password_reset_code'; to: string; code: string };

export interface Notifier {
  /** false when nothing can deliver: self-registration is then closed */
  readonly configured: boolean;
  send(notice: Notice): Promise<void>;
  /** the latest notice to an address, where the implementation keeps them (development only) */
  lastNoticeFor(to: string): Notice | undefined;
}

/** `wanjiru@example.ke` → `w******@example.ke`: enough to tell messages apart, not to read. */
export function maskAddress(to: string): string {
  const at = to.lastIndexOf('@');
  const local = at < 0 ? to : to.slice(0, at);
  const domain = at < 0 ? '' : to.slice(at);
  return `${local.slice(0, 1)}${'*'.repeat(Math.max(local.length - 1, 3))}${domain}`;
}

/** Keeps this many recent notices for tests; older ones are dropped. */
const KEPT_NOTICES = 1_000;

/**
 * Development and demo: writes each notice to the log (recipient masked, the code in clear so
 * a developer can finish a sign-up) and keeps recent ones in memory for tests. Refused in
 * production by the configuration: codes must not reach production logs.
 */
export class LogNotifier implements Notifier {
  readonly configured = true;
  private readonly recent = new Map<string, Notice>();

  constructor(private readonly logger: Logger) {}

  send(notice: Notice): Promise<void> {
    const to = maskAddress(notice.to);
    if (notice.kind === 'verification_code') {
      this.logger.info({ to, code: notice.code }, 'registration code (development notifier)');
    } else if (notice.kind === 'password_reset_code') {
      this.logger.info({ to, code: notice.code }, 'password reset code (development notifier)');
    } else {
      this.logger.info({ to }, 'registration attempt on an existing account (development notifier)');
    }
    this.recent.delete(notice.to);
    if (this.recent.size >= KEPT_NOTICES) {
      const oldest = this.recent.keys().next();
      if (!oldest.done) this.recent.delete(oldest.value);
    }
    this.recent.set(notice.to, notice);
    return Promise.resolve();
  }

  lastNoticeFor(to: string): Notice | undefined {
    return this.recent.get(to);
  }
}

/** No sender configured: nothing can be delivered, so self-registration is closed. */
export class NoNotifier implements Notifier {
  readonly configured = false;
  send(): Promise<void> {
    return Promise.reject(new Error('no notifier is configured'));
  }
  lastNoticeFor(): undefined {
    return undefined;
  }
}
