import type { MeterView } from '../state/meter-state';
import { meterPath } from '../state/routes';
import { formatKwh } from '../state/format';
import { useI18n } from './i18n-context';
import { navigate } from './navigation';

export function MeterSwitcher({
  meterNos,
  meters,
  current,
}: {
  meterNos: string[];
  meters: Record<string, MeterView>;
  current: string | null;
}) {
  const { t, locale } = useI18n();
  return (
    <label className="meter-switcher">
      <span className="visually-hidden">{t('chooseMeter')}</span>
      <select
        data-testid="meter-switcher"
        value={current ?? ''}
        onChange={(e) => navigate(meterPath(e.target.value))}
      >
        {current !== null && !meterNos.includes(current) && <option value={current}>{current}</option>}
        {meterNos.map((meterNo) => {
          const m = meters[meterNo];
          return (
            <option key={meterNo} value={meterNo}>
              {t('meter')} {meterNo}
              {m ? ` · ${formatKwh(locale, m.balanceKwh)}` : ''}
            </option>
          );
        })}
      </select>
    </label>
  );
}
