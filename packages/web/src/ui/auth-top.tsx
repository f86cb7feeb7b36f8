import { BoltLogo } from './brand';
import { useI18n } from './i18n-context';
import { LanguageSwitch } from './language-switch';

/** The head of every signed-out screen (sign-in, sign-up, reset, temporary password): brand and language. */
export function AuthTop() {
  const { t } = useI18n();
  return (
    <div className="auth-top">
      <div className="brand">
        <BoltLogo size={36} />
        <span className="brand-name">{t('appName')}</span>
      </div>
      <LanguageSwitch />
    </div>
  );
}
