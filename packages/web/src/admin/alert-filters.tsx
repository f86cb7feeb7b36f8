/** The Alerts page's filters, applied by the server: one kind of alert, one meter. */
import { METER_NO_PATTERN_SOURCE } from '@umeme/protocol';
import { useState, type FormEvent } from 'react';
import type { MessageKey } from '../i18n/dictionary';
import { useI18n } from '../ui/i18n-context';
import type { AlertFilter, AlertKind } from './admin-api';

/** Every kind the server knows (a missing one is a type error), with its label. */
export const ALERT_KIND_LABELS: Record<AlertKind, MessageKey> = {
  low_balance: 'opxKindLowBalance',
  zero_balance: 'opxKindZeroBalance',
  balance_mismatch: 'opxKindBalanceMismatch',
  connection_lost: 'opxKindConnectionLost',
  payment_mismatch: 'opxKindPaymentMismatch',
  tamper_relay: 'opxKindTamperRelay',
  power_over_rated: 'opxKindPowerOverRated',
  command_expired: 'opxKindCommandExpired',
  predicted_low: 'opxKindPredictedLow',
  register_anomaly: 'opxKindRegisterAnomaly',
};
const KINDS = Object.keys(ALERT_KIND_LABELS) as AlertKind[];
const isKind = (v: string): v is AlertKind => (KINDS as string[]).includes(v);
/** The server's meter-number rule, checked here first so a typo gets a plain answer. */
const METER_NO = new RegExp(METER_NO_PATTERN_SOURCE);

export function AlertFilters({
  value,
  onChange,
}: {
  value: AlertFilter;
  onChange: (f: AlertFilter) => void;
}) {
  const { t } = useI18n();
  const [meterNo, setMeterNo] = useState(value.meterNo ?? '');
  const [bad, setBad] = useState(false);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    const m = meterNo.trim();
    if (m !== '' && !METER_NO.test(m)) {
      setBad(true);
      return;
    }
    setBad(false);
    onChange({ ...value, meterNo: m });
  };
  const active = Boolean(value.kind) || Boolean(value.meterNo);
  return (
    <form className="card alert-filters" onSubmit={apply} data-testid="alert-filters">
      <label className="admin-label">
        {t('opxAlertKind')}
        <select
          className="admin-input"
          value={value.kind ?? ''}
          onChange={(e) => onChange({ ...value, kind: isKind(e.target.value) ? e.target.value : null })}
          data-testid="alert-filter-kind"
        >
          <option value="">{t('opxAlertKindAll')}</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {t(ALERT_KIND_LABELS[k])}
            </option>
          ))}
        </select>
      </label>
      <label className="admin-label">
        {t('opxAlertMeter')}
        <input
          className="admin-input mono"
          maxLength={12}
          value={meterNo}
          placeholder={t('opxAlertMeterAny')}
          aria-invalid={bad}
          onChange={(e) => setMeterNo(e.target.value)}
          data-testid="alert-filter-meter"
        />
      </label>
      <div className="button-row">
        <button className="button small primary" type="submit" data-testid="alert-filter-apply">
          {t('opxAlertFilter')}
        </button>
        {active && (
          <button
            className="button small ghost"
            type="button"
            onClick={() => {
              setMeterNo('');
              setBad(false);
              onChange({});
            }}
            data-testid="alert-filter-clear"
          >
            {t('opxAlertClear')}
          </button>
        )}
      </div>
      {bad && (
        <p className="form-error small-text" role="alert" data-testid="alert-filter-error">
          {t('opxAlertBadMeter')}
        </p>
      )}
    </form>
  );
}
