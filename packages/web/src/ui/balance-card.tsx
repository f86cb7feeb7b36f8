import { useState } from 'react';
import { ApiError } from '../api/http-client';
import type { SessionState } from '../live/live-session';
import {
  balanceWorthKes,
  formatBalanceKwh,
  formatClock,
  formatDuration,
  formatKes,
  formatPowerW,
} from '../state/format';
import { emergencyOffered, type MeterView } from '../state/meter-state';
import { estimateTimeLeft } from '../state/time-left';
import { useI18n } from './i18n-context';

export function LiveIndicator({ link }: { link: SessionState['link'] }) {
  const { t, locale } = useI18n();
  const live = link.status === 'connected';
  const label =
    link.status === 'connected'
      ? t('liveConnected')
      : link.status === 'connecting'
        ? t('liveConnecting')
        : t('liveDisconnected');
  const when =
    link.lastUpdateMs === null
      ? t('noUpdateYet')
      : t('lastUpdate', { time: formatClock(locale, link.lastUpdateMs) });
  return (
    <div
      className={`live ${live ? 'live-on' : 'live-off'}`}
      data-testid="live-indicator"
      data-live={live ? 'true' : 'false'}
      data-link={link.status}
      role="status"
    >
      <span className="live-dot" aria-hidden="true" />
      <span className="live-label">{label}</span>
      <span className="live-when">{when}</span>
    </div>
  );
}

export function BalanceCard({
  meter,
  link,
  averageRateKw,
  kesPerKwh,
  onTakeEmergency,
}: {
  meter: MeterView;
  link: SessionState['link'];
  averageRateKw: number | null;
  /** the price at the tariff in force (the server's quote); null until it is known */
  kesPerKwh: number | null;
  onTakeEmergency: () => Promise<void>;
}) {
  const { t, locale } = useI18n();
  const level = meter.balanceKwh <= 0 ? 'empty' : meter.balanceKwh <= meter.lowBalanceKwh ? 'low' : 'ok';
  const timeLeft = estimateTimeLeft({ balanceKwh: meter.balanceKwh, powerW: meter.powerW, averageRateKw });
  let timeLeftText: string;
  let timeLeftDetail: string | null = null;
  switch (timeLeft.kind) {
    case 'empty':
      timeLeftText = t('timeLeftNone');
      break;
    case 'idle':
      timeLeftText = t('timeLeftIdle');
      break;
    case 'estimate':
      timeLeftText = formatDuration(locale, timeLeft.durationMs);
      timeLeftDetail = t('timeLeftAtRate', { power: formatPowerW(locale, timeLeft.rateKw * 1000) });
      break;
  }
  return (
    <section className={`card balance-card level-${level}`} aria-labelledby="balance-heading">
      <div className="card-head">
        <h2 id="balance-heading" className="eyebrow">
          {t('meter')} <span data-testid="meter-no">{meter.meterNo}</span>
          {meter.ownerName ? (
            <span className="owner" translate="no">
              {' '}
              · {meter.ownerName}
            </span>
          ) : null}
        </h2>
        <LiveIndicator link={link} />
      </div>
      <p className="balance-label">
        {t('balance')}
        {level !== 'ok' && (
          <span className="badge warn">{level === 'empty' ? t('timeLeftNone') : t('lowBalance')}</span>
        )}
      </p>
      <p className="balance" data-testid="balance" data-balance-kwh={meter.balanceKwh} aria-live="polite">
        <span className="balance-value">{formatBalanceKwh(locale, meter.balanceKwh)}</span>
        <span className="balance-unit">kWh</span>
      </p>
      <p className="worth" data-testid="balance-kes" data-kes-per-kwh={kesPerKwh ?? ''}>
        {/* Until the quote arrives the line keeps its height, so nothing below it jumps. */}
        {kesPerKwh === null
          ? '\u00a0'
          : meter.balanceKwh < 0
            ? t('balanceDebt', { amount: formatKes(locale, -balanceWorthKes(meter.balanceKwh, kesPerKwh)) })
            : t('balanceWorth', { amount: formatKes(locale, balanceWorthKes(meter.balanceKwh, kesPerKwh)) })}
      </p>
      {(meter.supply?.debt ?? 0) > 0 && (
        <p className="muted small" data-testid="debt-notice">
          {t('debtNotice', { amount: formatKes(locale, meter.supply?.debt ?? 0) })}
        </p>
      )}
      {emergencyOffered(meter) && <EmergencyOffer onTake={onTakeEmergency} />}
      <div className="time-left" data-testid="time-left" data-kind={timeLeft.kind}>
        <span className="muted">{t('timeLeft')}</span>
        <strong>{timeLeftText}</strong>
        {timeLeftDetail && <span className="muted small">{timeLeftDetail}</span>}
      </div>
    </section>
  );
}

function EmergencyOffer({ onTake }: { onTake: () => Promise<void> }) {
  const { t } = useI18n();
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  async function take() {
    setState({ busy: true, error: null });
    try {
      await onTake();
      setState({ busy: false, error: null });
    } catch (err) {
      setState({ busy: false, error: err instanceof ApiError ? err.message : t('networkError') });
    }
  }
  return (
    <div className="emergency-offer" data-testid="emergency-offer">
      <button
        className="button primary block"
        type="button"
        disabled={state.busy}
        onClick={() => void take()}
        data-testid="emergency-take"
      >
        {t('emergencyTake')}
      </button>
      <p className="muted small">{t('emergencyHint')}</p>
      {state.error && (
        <p className="error small" role="alert">
          {state.error}
        </p>
      )}
    </div>
  );
}
