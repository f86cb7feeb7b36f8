import { lazy, Suspense } from 'react';
import type { StoredAuth } from '../state/auth-storage';
import { useI18n } from '../ui/i18n-context';

// The console is its own chunk: customers never download it.
const AdminConsole = lazy(() => import('./admin-console'));

/** `/admin/...`: the operator console for operators (every role but customer); customers see a plain not-found page. */
export function AdminGate({ auth, onSignOut }: { auth: StoredAuth; onSignOut: () => void }) {
  const { t } = useI18n();
  if (auth.user.role === 'customer') {
    return (
      <div className="shell">
        <div className="card empty-state" data-testid="not-found" style={{ marginTop: 48 }}>
          <h2>404</h2>
          <p className="muted">This page does not exist.</p>
          <a href="/">{t('backToMyMeters')}</a>
        </div>
      </div>
    );
  }
  return (
    <Suspense fallback={<p className="center muted">{t('loading')}</p>}>
      <AdminConsole auth={auth} onSignOut={onSignOut} />
    </Suspense>
  );
}
