/** Pieces of the console's small forms: a reason, a meter number, the submit row, one request at a time. */
import { useCallback, useState, type ReactNode } from 'react';
import { useAdminI18n } from './admin-i18n';
import { errorText, type Notice } from './admin-kit';

/**
 * A form's busy flag and notice. `run` sends one request: busy until it settles, and a failure
 * becomes the notice; success is the caller's to report.
 */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  const run = useCallback(<T,>(send: () => Promise<T>, onDone: (result: T) => void) => {
    setBusy(true);
    send()
      .then(onDone, (err: unknown) => setNotice({ ok: false, text: errorText(err) }))
      .finally(() => setBusy(false));
  }, []);
  return { busy, notice, setNotice, run };
}

/** The reason every operator action needs; it is kept in the audit log. */
export function ReasonField({
  label,
  value,
  onChange,
  placeholder,
  testId,
  autoFocus,
  grow = false,
}: {
  label?: ReactNode;
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
  testId?: string;
  autoFocus?: boolean;
  grow?: boolean;
}) {
  const { t } = useAdminI18n();
  return (
    <label className={grow ? 'admin-label grow' : 'admin-label'}>
      {label ?? t('reasonRequired')}
      <input
        className="admin-input"
        required
        maxLength={500}
        autoFocus={autoFocus}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        data-testid={testId}
      />
    </label>
  );
}

export function MeterNoField({
  label,
  value,
  onChange,
  testId,
  pattern,
  title,
}: {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  testId: string;
  pattern?: string;
  title?: string;
}) {
  return (
    <label className="admin-label">
      {label}
      <input
        className="admin-input mono"
        required
        maxLength={12}
        pattern={pattern}
        title={title}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
      />
    </label>
  );
}

interface SubmitProps {
  busy: boolean;
  /** Disabled besides while busy, e.g. until the form is complete. */
  disabled?: boolean;
  busyLabel: ReactNode;
  testId?: string;
  children: ReactNode;
}

export function SubmitButton({ busy, disabled = false, busyLabel, testId, children }: SubmitProps) {
  return (
    <button className="button small primary" type="submit" disabled={busy || disabled} data-testid={testId}>
      {busy ? busyLabel : children}
    </button>
  );
}

/** Submit and Cancel side by side. */
export function SubmitRow({ onCancel, ...submit }: SubmitProps & { onCancel: () => void }) {
  const { t } = useAdminI18n();
  return (
    <div className="button-row">
      <SubmitButton {...submit} />
      <button className="button small ghost" type="button" onClick={onCancel}>
        {t('cancel')}
      </button>
    </div>
  );
}
