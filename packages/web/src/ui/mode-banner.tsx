import { useEffect, useState } from 'react';
import type { PublicConfig } from '../api/api-types';
import { loadPublicConfig } from '../api/public-config';
import { useI18n } from './i18n-context';

/**
 * Whenever the built-in Daraja emulator serves payments (the demo, or staging), every page says
 * so at the top: nobody should mistake it for a system where money moves.
 */
export function ModeBanner() {
  const { t } = useI18n();
  const [config, setConfig] = useState<PublicConfig | null>(null);
  useEffect(() => {
    let live = true;
    void loadPublicConfig().then((c) => {
      if (live) setConfig(c);
    });
    return () => {
      live = false;
    };
  }, []);
  // Once rendered, the page says which mode it learnt: a test can then tell "no banner" from
  // "not loaded yet".
  useEffect(() => {
    if (config) document.documentElement.dataset.mode = config.mode;
  }, [config]);
  if (!config?.paymentsEmulator) return null;
  return (
    <div className="mode-banner" role="status" data-testid="mode-banner" data-mode={config.mode}>
      {t(config.demo ? 'modeBannerDemo' : 'modeBannerStaging')}
    </div>
  );
}
