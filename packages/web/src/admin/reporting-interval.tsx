/** The meter header's reporting interval: measured from its recent reports, next to what it was told. */
import { useI18n } from '../ui/i18n-context';
import type { MeterDetail } from './admin-api';

export function ReportingInterval({ meter }: { meter: MeterDetail['meter'] }) {
  const { t } = useI18n();
  const r = meter.reportingInterval;
  const set = meter.publishIntervalS;
  return (
    <span
      data-testid="reporting-interval"
      data-measured-s={r.medianS ?? ''}
      title={t(r.basis === 'meter_time' ? 'opxIntervalMeterTime' : 'opxIntervalReceivedTime')}
    >
      {r.medianS === null
        ? t('opxIntervalUnmeasured', { set })
        : t('opxIntervalMeasured', { measured: r.medianS, gaps: r.gaps, set })}
    </span>
  );
}
