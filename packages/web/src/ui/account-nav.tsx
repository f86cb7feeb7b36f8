import type { MouseEvent } from 'react';
import './account.css';
import type { Route } from '../state/routes';
import { meterPath } from '../state/routes';
import { useI18n } from './i18n-context';
import { navigate } from './navigation';

/** The customer's places: their meters, statements, adding a meter. A row of tabs on every screen size. */
export function AccountNav({ route, firstMeter }: { route: Route; firstMeter: string | undefined }) {
  const { t } = useI18n();
  const go = (path: string) => (e: MouseEvent) => {
    e.preventDefault();
    navigate(path);
  };
  const metersPath = firstMeter ? meterPath(firstMeter) : '/';
  const items = [
    {
      key: 'meters',
      path: metersPath,
      label: t('navMeters'),
      current: route.name === 'meter' || route.name === 'home',
    },
    {
      key: 'statements',
      path: '/statements',
      label: t('navStatements'),
      current: route.name === 'statements',
    },
    { key: 'add-meter', path: '/add-meter', label: t('navAddMeter'), current: route.name === 'addMeter' },
  ];
  return (
    <nav className="account-nav" aria-label={t('appName')}>
      {items.map((i) => (
        <a
          key={i.key}
          href={i.path}
          onClick={go(i.path)}
          aria-current={i.current ? 'page' : undefined}
          data-testid={`nav-${i.key}`}
        >
          {i.label}
        </a>
      ))}
    </nav>
  );
}
