/**
 * PostgreSQL cannot store the NUL character: `jsonb` refuses the escape `\u0000` and `text`
 * refuses the byte. M-Pesa never sends one, but a callback is evidence of money taken and must
 * be kept whatever it holds, so each NUL in its strings (keys included) is written out as the
 * six visible characters `\u0000` before it is stored or settled. Answering 4xx instead would
 * throw the evidence away, and a retry would carry the same bytes.
 */
export const NUL_ESCAPE = '\\u0000';

/** Whether `json`, as `JSON.stringify` wrote it, may hold a NUL (cheap: one scan, no parse). */
export function mayHoldNul(json: string): boolean {
  return json.includes(NUL_ESCAPE);
}

/** `value` with every NUL in its strings and keys written out as `\u0000`. */
export function withoutNul<T>(value: T): T {
  return clean(value) as T;
}

function clean(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\0') ? value.replaceAll('\0', NUL_ESCAPE) : value;
  if (Array.isArray(value)) return value.map(clean);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[clean(k) as string] = clean(v);
    return out;
  }
  return value;
}
