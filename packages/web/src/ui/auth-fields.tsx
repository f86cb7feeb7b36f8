import { useI18n } from './i18n-context';

/** The one-time code the server sent by SMS or email (sign-up's check, password reset). */
export function CodeField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const { t } = useI18n();
  return (
    <label className="field">
      <span>{t('codeLabel')}</span>
      <input
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9]*"
        maxLength={10}
        required
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      <small className="muted">{t('codeHint')}</small>
    </label>
  );
}

/** A new password with the rule under it (password reset, a temporary password replaced). */
export function NewPasswordField({
  label,
  value,
  onChange,
  testId,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  testId?: string;
}) {
  const { t } = useI18n();
  return (
    <label className="field">
      <span>{label}</span>
      <input
        name="new-password"
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
      />
      <small className="muted">{t('passwordHint')}</small>
    </label>
  );
}
