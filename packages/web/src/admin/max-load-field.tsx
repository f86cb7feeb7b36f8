/** The configuration's max-load limit: a number of watts, or none (cleared on the meter and the server). */
import { useI18n } from '../ui/i18n-context';

/** `null` is "no limit"; a string is the watts being typed. */
export type MaxLoadValue = string | null;

export const initialMaxLoad = (w: number | null): MaxLoadValue => (w === null ? null : String(w));

/** What the config body carries: null clears a limit the meter had; nothing keeps none. */
export const maxLoadBody = (v: MaxLoadValue, had: number | null): { maxLoadW?: number | null } =>
  v !== null ? { maxLoadW: Number(v) } : had !== null ? { maxLoadW: null } : {};

export function MaxLoadField({
  value,
  onChange,
}: {
  value: MaxLoadValue;
  onChange: (v: MaxLoadValue) => void;
}) {
  const { t } = useI18n();
  return (
    <div className="admin-label max-load" data-testid="max-load">
      <label className="admin-label">
        {t('opxMaxLoad')}
        <input
          className="admin-input"
          type="number"
          min={0}
          max={1_000_000}
          step={1}
          required={value !== null}
          disabled={value === null}
          value={value ?? ''}
          onChange={(e) => onChange(e.target.value)}
          data-testid="max-load-input"
        />
      </label>
      <label className="check-label small-text" title={t('opxMaxLoadHint')}>
        <input
          type="checkbox"
          checked={value === null}
          onChange={(e) => onChange(e.target.checked ? null : '')}
          data-testid="max-load-none"
        />{' '}
        {t('opxMaxLoadNone')}
      </label>
    </div>
  );
}
