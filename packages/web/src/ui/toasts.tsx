import { toastMessageParams, type Toast } from '../state/toasts';
import { useI18n } from './i18n-context';

export function Toasts({ toasts, onDismiss }: { toasts: Toast[]; onDismiss: (id: number) => void }) {
  const { t, locale } = useI18n();
  return (
    <div className="toasts" aria-live="polite" aria-atomic="false">
      {toasts.map((toast) => (
        <div
          key={toast.id}
          className={`toast toast-${toast.kind}`}
          role="status"
          data-testid="toast"
          data-kind={toast.kind}
        >
          <span className="toast-text">{t(toast.message, toastMessageParams(locale, toast.params))}</span>
          <button
            type="button"
            className="toast-close"
            aria-label={t('dismiss')}
            onClick={() => onDismiss(toast.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
