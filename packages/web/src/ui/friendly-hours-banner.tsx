import { useEffect, useState } from 'react';
import type { PublicConfig } from '../api/api-types';
import type { LiveSession } from '../live/live-session';
import { useI18n } from './i18n-context';

/** Friendly hours change a few times a day: a look once a minute is plenty. */
export const FRIENDLY_HOURS_REFRESH_MS = 60_000;

type FriendlyHours = NonNullable<PublicConfig['friendlyHours']>;

/**
 * "Friendly hours until 07:00 — your power stays on…" (issue 5 §4), from `GET /api/config`.
 * Shown while the server says a window is open; nothing otherwise.
 */
export function FriendlyHoursBanner({ session }: { session: LiveSession }) {
  const { t } = useI18n();
  const [friendly, setFriendly] = useState<FriendlyHours | null>(null);
  useEffect(() => {
    let stopped = false;
    const load = () => {
      session.http
        .publicConfig()
        .then((c) => {
          if (!stopped) setFriendly(c.friendlyHours ?? null);
        })
        .catch(() => {
          /* keep what we showed; the next look may succeed */
        });
    };
    load();
    const timer = setInterval(load, FRIENDLY_HOURS_REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [session]);
  if (!friendly?.active) return null;
  return (
    <p className="card friendly-hours" role="status" data-testid="friendly-hours">
      {t('friendlyHoursActive', { time: friendly.untilLocalTime ?? '' })}
    </p>
  );
}
