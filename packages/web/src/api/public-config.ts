import type { PublicConfig } from './api-types';
import { createHttpClient } from './http-client';

let configRequest: Promise<PublicConfig | null> | null = null;

/**
 * `GET /api/config` (public), once per page load and shared by every part of the app; null
 * when it failed (then the next call asks again). Without it the app shows no demo extras.
 */
export function loadPublicConfig(): Promise<PublicConfig | null> {
  configRequest ??= createHttpClient({ token: () => null })
    .publicConfig()
    .catch(() => {
      configRequest = null;
      return null;
    });
  return configRequest;
}
