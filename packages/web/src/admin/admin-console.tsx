import { useCallback, useEffect, useMemo, useState } from 'react';
import type { StoredAuth } from '../state/auth-storage';
import { BoltLogo } from '../ui/brand';
import { navigate, usePathname } from '../ui/navigation';
import { useI18n } from '../ui/i18n-context';
import { setConsoleLocale, useAdminI18n, type AdminKey } from './admin-i18n';
import { createAdminApi, type Permission } from './admin-api';
import type { AdminContext } from './admin-context';
import { useCoalescedRefresh } from './admin-kit';
import { parseAdminRoute } from './admin-routes';
import { AlertsPage } from './alerts-page';
import { AuditPage } from './audit-page';
import { SmsPage } from './sms-page';
import { TariffsPage } from './tariffs-page';
import { FleetFeed } from './fleet-feed';
import { FleetPage } from './fleet-page';
import { FriendlyHoursPage } from './friendly-hours-page';
import { MeterDetailPage } from './meter-detail-page';
import { PaymentsPage } from './payments-page';
import { ReportsPage } from './reports-page';
import { TopupsPage } from './topups-page';
import { UsersPage } from './users-page';
import './admin.css';
import './admin-extras.css';

/** How many payments wait for review (the Payments tab's badge), kept live. */
function useOpenOrphans(ctx: AdminContext): { count: number; more: boolean } | null {
  const [open, setOpen] = useState<{ count: number; more: boolean } | null>(null);
  const read = useCallback(() => {
    ctx.api.orphans({ status: 'open', limit: ORPHANS_BADGE_MAX }).then(
      (page) => setOpen({ count: page.orphans.length, more: page.nextCursor !== null }),
      () => undefined, // the badge is a hint; the page itself shows errors
    );
  }, [ctx]);
  useEffect(read, [read]);
  useCoalescedRefresh(ctx.feed.onOrphans, read);
  return open;
}

/** How many top-up requests wait for an operator (the Top-ups tab's badge), kept live. */
function usePendingTopups(ctx: AdminContext): { count: number; more: boolean } | null {
  const [pending, setPending] = useState<{ count: number; more: boolean } | null>(null);
  const read = useCallback(() => {
    ctx.api.topups({ status: 'pending', order: 'oldest', limit: ORPHANS_BADGE_MAX + 1 }).then(
      (page) =>
        setPending({
          count: Math.min(page.topups.length, ORPHANS_BADGE_MAX),
          more: page.topups.length > ORPHANS_BADGE_MAX,
        }),
      () => undefined, // the badge is a hint; the page itself shows errors
    );
  }, [ctx]);
  useEffect(read, [read]);
  useCoalescedRefresh(ctx.feed.onTopups, read);
  return pending;
}

/** Above this many the badge says "99+". */
const ORPHANS_BADGE_MAX = 99;

const tabs = [
  { path: '/admin', label: 'tabFleet', id: 'fleet' },
  { path: '/admin/alerts', label: 'tabAlerts', id: 'alerts' },
  { path: '/admin/payments', label: 'tabPayments', id: 'payments' },
  { path: '/admin/topups', label: 'opTopupsTab', id: 'topups' },
  { path: '/admin/users', label: 'tabUsers', id: 'users' },
  { path: '/admin/reports', label: 'tabReports', id: 'reports' },
  { path: '/admin/sms', label: 'tabSms', id: 'sms' },
  { path: '/admin/tariffs', label: 'tabTariffs', id: 'tariffs' },
  { path: '/admin/friendly-hours', label: 'opxFhTab', id: 'friendly-hours' },
  { path: '/admin/audit', label: 'tabAudit', id: 'audit' },
] as const satisfies readonly { path: string; label: AdminKey | 'opTopupsTab' | 'opxFhTab'; id: string }[];

export default function AdminConsole({ auth, onSignOut }: { auth: StoredAuth; onSignOut: () => void }) {
  const { locale } = useI18n();
  // The shared helpers (errorText, admin-format) read the language from here: set it before the pages render.
  setConsoleLocale(locale);
  const { t } = useAdminI18n();
  const pathname = usePathname();
  const route = parseAdminRoute(pathname);
  const api = useMemo(
    () => createAdminApi({ token: () => auth.token, onUnauthorized: onSignOut }),
    [auth.token, onSignOut],
  );
  // The role as the server says now, not as it was at sign-in: a changed role shows at once.
  const [permissions, setPermissions] = useState<readonly Permission[] | null>(null);
  useEffect(() => {
    api.me().then(
      (me) => setPermissions(me.permissions),
      () => setPermissions([]),
    );
  }, [api]);
  const feed = useMemo(() => new FleetFeed(), [api]);
  const ctx = useMemo<AdminContext>(
    () => ({
      api,
      feed,
      meId: auth.user.id,
      can: (p) => permissions?.includes(p) ?? false,
    }),
    [api, feed, auth.user.id, permissions],
  );
  const [live, setLive] = useState(false);
  useEffect(() => {
    feed.start(auth.token);
    const off = feed.onLink(() => setLive(feed.connected));
    return () => {
      off();
      feed.stop();
    };
  }, [feed, auth.token]);

  const openOrphans = useOpenOrphans(ctx);
  const pendingTopups = usePendingTopups(ctx);

  const activeTab = route.name === 'meter' ? 'fleet' : route.name;
  let body;
  switch (route.name) {
    case 'fleet':
      body = <FleetPage ctx={ctx} />;
      break;
    case 'meter':
      body = <MeterDetailPage key={route.meterNo} ctx={ctx} meterNo={route.meterNo} />;
      break;
    case 'alerts':
      body = <AlertsPage ctx={ctx} />;
      break;
    case 'reports':
      body = <ReportsPage ctx={ctx} />;
      break;
    case 'users':
      body = <UsersPage ctx={ctx} />;
      break;
    case 'payments':
      body = <PaymentsPage ctx={ctx} />;
      break;
    case 'topups':
      body = <TopupsPage ctx={ctx} />;
      break;
    case 'sms':
      body = <SmsPage ctx={ctx} />;
      break;
    case 'tariffs':
      body = <TariffsPage ctx={ctx} />;
      break;
    case 'audit':
      body = <AuditPage ctx={ctx} />;
      break;
    case 'friendly-hours':
      body = <FriendlyHoursPage ctx={ctx} />;
      break;
    case 'unknown':
      body = (
        <div className="card empty-state" data-testid="not-found">
          <h2>404</h2>
          <p className="muted">{t('pageNotFound')}</p>
        </div>
      );
  }

  return (
    <div
      className="admin-shell"
      data-testid="admin-console"
      data-role={auth.user.role}
      data-permissions={permissions?.join(' ') ?? ''}
    >
      <header className="topbar admin-topbar">
        <a
          className="brand"
          href="/admin"
          onClick={(e) => {
            e.preventDefault();
            navigate('/admin');
          }}
        >
          <BoltLogo size={28} />
          <span className="brand-name">{t('appName')}</span>
          <span className="badge">{t('consoleBadge')}</span>
        </a>
        <nav className="admin-tabs" aria-label={t('consoleNav')}>
          {tabs.map((tab) => (
            <a
              key={tab.id}
              href={tab.path}
              className={activeTab === tab.id ? 'active' : undefined}
              aria-current={activeTab === tab.id ? 'page' : undefined}
              data-testid={`admin-tab-${tab.id}`}
              onClick={(e) => {
                e.preventDefault();
                navigate(tab.path);
              }}
            >
              {t(tab.label)}
              {tab.id === 'payments' && openOrphans !== null && openOrphans.count > 0 && (
                <span
                  className="tab-count"
                  data-testid="orphans-count"
                  title={t('paymentsToReview', {
                    count: `${openOrphans.count}${openOrphans.more ? '+' : ''}`,
                  })}
                >
                  {openOrphans.count}
                  {openOrphans.more ? '+' : ''}
                </span>
              )}
              {tab.id === 'topups' && pendingTopups !== null && pendingTopups.count > 0 && (
                <span className="tab-count" data-testid="topups-count">
                  {pendingTopups.count}
                  {pendingTopups.more ? '+' : ''}
                </span>
              )}
            </a>
          ))}
        </nav>
        <div className="topbar-actions">
          <span
            className={`live ${live ? 'live-on' : 'live-off'}`}
            data-testid="admin-live"
            data-live={String(live)}
            title={live ? t('liveOnTitle') : t('liveOffTitle')}
          >
            <span className="live-dot" aria-hidden="true" />
            {live ? t('liveConnected') : t('liveDisconnected')}
          </span>
          <button className="button ghost small" type="button" onClick={onSignOut} data-testid="sign-out">
            {t('signOut')}
          </button>
        </div>
      </header>
      <main className="admin-main">{body}</main>
    </div>
  );
}
