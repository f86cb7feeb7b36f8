import type { SupplyDecision } from '@umeme/protocol';
import type { MessageKey } from '../i18n/dictionary';
import { en } from '../i18n/dictionary';
import { formatAgo, formatPowerW } from '../state/format';
import { isOnline, shownRelay, type MeterView } from '../state/meter-state';
import { useI18n } from './i18n-context';
import { useNow } from './navigation';

/** How often "last seen 2 minutes ago" is re-worded. */
const AGO_REFRESH_MS = 15_000;

function statusKey(status: string): MessageKey {
  const key = `status_${status}`;
  return key in en ? (key as MessageKey) : 'status_unknown';
}

export function StatusCard({ meter }: { meter: MeterView }) {
  const { t, locale } = useI18n();
  const nowMs = useNow(AGO_REFRESH_MS);
  const online = isOnline(meter);
  const relay = shownRelay(meter);
  const why = meter.supply ? supplyWhy(meter.supply, t) : null;
  return (
    <section className="card status-card" aria-label={t('meterStatus')}>
      <dl className="rows">
        <div className="row">
          <dt>{t('supply')}</dt>
          <dd>
            <span
              className={`pill ${relay === 'on' ? 'good' : 'bad'}`}
              data-testid="relay"
              data-relay={relay}
            >
              {relay === 'on' ? t('relayOn') : t('relayOff')}
            </span>
            {why && (
              <span className="muted small" data-testid="supply-reason" data-reason={meter.supply?.reason}>
                {why}
              </span>
            )}
          </dd>
        </div>
        <div className="row">
          <dt>{t('meterStatus')}</dt>
          <dd>
            <span
              className={`pill ${online ? (meter.status === 'online' ? 'good' : 'warn') : 'bad'}`}
              data-testid="meter-status"
              data-status={meter.status}
              data-online={online ? 'true' : 'false'}
            >
              {t(statusKey(meter.status))}
            </span>
            <span className="muted small" data-testid="last-seen">
              {meter.lastSeenMs === null
                ? t('neverSeen')
                : t('lastSeen', { when: formatAgo(locale, meter.lastSeenMs, nowMs) })}
            </span>
          </dd>
        </div>
        <div className="row">
          <dt>{t('power')}</dt>
          <dd className="row-value" data-testid="power">
            {meter.powerW === null ? '—' : formatPowerW(locale, meter.powerW)}
          </dd>
        </div>
      </dl>
    </section>
  );
}

/** Why the supply is where it is, when that is worth saying (plain credit is not). */
function supplyWhy(supply: SupplyDecision, t: ReturnType<typeof useI18n>['t']): string | null {
  switch (supply.reason) {
    case 'credit':
      return null;
    case 'override_disconnect':
      return t('supplyWhy_override_disconnect', { reason: supply.operatorReason ?? '' });
    case 'override_connect':
      return t('supplyWhy_override_connect');
    case 'no_credit':
      return t('supplyWhy_no_credit');
    case 'emergency_credit':
      return t('supplyWhy_emergency_credit');
    case 'friendly_hours':
      return t('supplyWhy_friendly_hours');
  }
}
