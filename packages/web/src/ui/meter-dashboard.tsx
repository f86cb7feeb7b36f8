import { useEffect, useState } from 'react';
import { kesPerKwhFromQuote } from '../state/format';
import { usageKey, type LiveSession, type SessionState } from '../live/live-session';
import { meterPath } from '../state/routes';
import { averageRateKw } from '../state/usage-series';
import { BalanceCard } from './balance-card';
import { BuyElectricity } from './buy-electricity';
import { useI18n } from './i18n-context';
import { navigate } from './navigation';
import { StatusCard } from './status-card';
import { TopupRequests } from './topup-requests';
import { TransactionsCard } from './transactions-card';
import { UsageCard } from './usage-card';

export function MeterDashboard({
  session,
  state,
  meterNo,
}: {
  session: LiveSession;
  state: SessionState;
  meterNo: string;
}) {
  const { t } = useI18n();
  useEffect(() => session.openMeter(meterNo), [session, meterNo]);
  const meter = state.meters[meterNo];
  const kesPerKwh = useKesPerKwh(session, meter?.tariffGroup ?? null);

  if (!meter && state.missing[meterNo]) {
    const first = state.meterNos[0];
    return (
      <main className="card empty-state" data-testid="meter-not-found">
        <h1>{t('meterNotFound')}</h1>
        <p className="muted">{t('meterNotFoundHint', { meterNo })}</p>
        {first && (
          <button className="button primary" type="button" onClick={() => navigate(meterPath(first))}>
            {t('backToMyMeters')}
          </button>
        )}
      </main>
    );
  }
  if (!meter) return <p className="center muted">{t('loading')}</p>;

  const hourly = state.usage[usageKey(meterNo, 'hour')];
  const rateKw = hourly?.status === 'ready' ? averageRateKw(hourly.series, Date.now()) : null;

  return (
    <main className="dashboard">
      <div className="column">
        <BalanceCard
          meter={meter}
          link={state.link}
          averageRateKw={rateKw}
          kesPerKwh={kesPerKwh}
          onTakeEmergency={() => session.takeEmergencyCredit(meterNo)}
        />
        <StatusCard meter={meter} />
        <BuyElectricity
          session={session}
          meterNo={meterNo}
          accountNo={meter.accountNo}
          tariffGroup={meter.tariffGroup}
        />
        <TopupRequests session={session} meterNo={meterNo} />
      </div>
      <div className="column">
        <UsageCard hourly={hourly} daily={state.usage[usageKey(meterNo, 'day')]} />
        <TransactionsCard transactions={state.transactions[meterNo]} http={session.http} />
      </div>
    </main>
  );
}

/** A purchase of this size prices what a balance is worth: the tariff in force, typical bands. */
const WORTH_QUOTE_KES = 1000;

/** The price per kWh at the tariff in force, from the server's quote (the Buy panel's estimate). */
function useKesPerKwh(session: LiveSession, tariffGroup: string | null): number | null {
  const [kesPerKwh, setKesPerKwh] = useState<number | null>(null);
  useEffect(() => {
    let live = true;
    session.http
      .tariffQuote(WORTH_QUOTE_KES, tariffGroup)
      .then((q) => {
        if (live) setKesPerKwh(kesPerKwhFromQuote(q.amountCents, q.energyMwh));
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [session, tariffGroup]);
  return kesPerKwh;
}
