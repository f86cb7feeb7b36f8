import { locales } from '../i18n/i18n';
import { useI18n } from './i18n-context';

const LABELS = { en: 'English', sw: 'Kiswahili' } as const;
const SHORT = { en: 'EN', sw: 'SW' } as const;

export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <div className="segmented" role="group" aria-label={t('language')} data-testid="language-switch">
      {locales.map((l) => (
        <button
          key={l}
          type="button"
          lang={l}
          aria-pressed={l === locale}
          aria-label={LABELS[l]}
          title={LABELS[l]}
          onClick={() => setLocale(l)}
        >
          {SHORT[l]}
        </button>
      ))}
    </div>
  );
}
