import type { RouteRecord } from '../../packages/server/src/shared/route-table';

export const routeKey = (r: Pick<RouteRecord, 'method' | 'url'>): string => `${r.method} ${r.url}`;

/** A concrete path for a route pattern, with the given values for its parameters. */
export function fillPath(url: string, values: Record<string, string>): string {
  return url
    .replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => encodeURIComponent(values[name] ?? 'x1'))
    .replace(/\*$/, 'some/page');
}

export const paramsOf = (url: string): string[] => [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);

export const hasBody = (r: RouteRecord): boolean =>
  r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH';

/** Field names anywhere in a JSON value that look like credentials. */
export function secretFieldsIn(value: unknown, pattern: RegExp, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => secretFieldsIn(v, pattern, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(pattern.test(k) ? [`${path}.${k}`] : []),
    ...secretFieldsIn(v, pattern, `${path}.${k}`),
  ]);
}

interface ZodLike {
  _zod?: { def?: Record<string, unknown> };
}

/** Every object key a zod schema can produce, as dotted paths (for response schemas). */
export function schemaKeys(schema: unknown, path = '', depth = 0): string[] {
  const def = (schema as ZodLike | undefined)?._zod?.def;
  if (!def || depth > 20) return [];
  const next = (s: unknown, p = path) => schemaKeys(s, p, depth + 1);
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape as Record<string, unknown>).flatMap(([k, v]) => [
        `${path}.${k}`,
        ...next(v, `${path}.${k}`),
      ]);
    case 'array':
      return next(def.element, `${path}[]`);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return next(def.innerType);
    case 'lazy':
      return next((def.getter as () => unknown)());
    case 'union':
      return (def.options as unknown[]).flatMap((o) => next(o));
    case 'intersection':
      return [...next(def.left), ...next(def.right)];
    case 'pipe':
      return [...next(def.in), ...next(def.out)];
    case 'record':
      return next(def.valueType, `${path}.*`);
    default:
      return [];
  }
}

export type Credentials = { bearer: string } | { basic: { user: string; secret: string } } | null;

/** One HTTP call with whatever credentials a route level takes; JSON parsed when it is JSON. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  body: unknown,
  credentials: Credentials,
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (credentials && 'bearer' in credentials) headers.authorization = `Bearer ${credentials.bearer}`;
  if (credentials && 'basic' in credentials) {
    const { user, secret } = credentials.basic;
    headers.authorization = `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  }
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}
