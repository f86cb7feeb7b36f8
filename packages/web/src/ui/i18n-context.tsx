import { createContext, useContext } from 'react';
import type { MessageKey } from '../i18n/dictionary';
import { translate, type Locale, type MessageParams } from '../i18n/i18n';

export interface I18n {
  locale: Locale;
  t: (key: MessageKey, params?: MessageParams) => string;
  setLocale: (locale: Locale) => void;
}

export const I18nContext = createContext<I18n>({
  locale: 'en',
  t: (key, params) => translate('en', key, params),
  setLocale: () => {},
});

export function useI18n(): I18n {
  return useContext(I18nContext);
}
