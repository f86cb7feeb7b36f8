/**
 * Quiet hours for non-urgent SMS (low balance, predicted low): nothing that can wait wakes a
 * household at night. Times are minutes after midnight in Nairobi (UTC+3, no daylight saving).
 */
export const NAIROBI_OFFSET_MS = 3 * 3_600_000;
const DAY_MS = 86_400_000;

export interface QuietHours {
  /** Minutes after midnight, local. A window that wraps midnight has start > end. */
  startMinute: number;
  endMinute: number;
}

/** "21:00-07:00" → {1260, 420}; throws a RangeError naming what is wrong. */
export function parseQuietHours(text: string): QuietHours {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (!m) throw new RangeError(`quiet hours must look like 21:00-07:00, got "${text}"`);
  const startMinute = Number(m[1]) * 60 + Number(m[2]);
  const endMinute = Number(m[3]) * 60 + Number(m[4]);
  if (startMinute === endMinute) throw new RangeError('quiet hours must not start and end at the same time');
  return { startMinute, endMinute };
}

/** The end of the quiet window `atMs` falls in, or null when it is not quiet then. */
export function quietUntilMs(atMs: number, quiet: QuietHours | null): number | null {
  if (quiet === null) return null;
  const localMs = atMs + NAIROBI_OFFSET_MS;
  const dayStartLocal = Math.floor(localMs / DAY_MS) * DAY_MS;
  const minute = Math.floor((localMs - dayStartLocal) / 60_000);
  const { startMinute: s, endMinute: e } = quiet;
  const inside = s < e ? minute >= s && minute < e : minute >= s || minute < e;
  if (!inside) return null;
  // The window ends today at e, or tomorrow when it wraps and we are before midnight.
  const endDay = s > e && minute >= s ? dayStartLocal + DAY_MS : dayStartLocal;
  return endDay + e * 60_000 - NAIROBI_OFFSET_MS;
}
