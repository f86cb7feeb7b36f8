import { afterAll, beforeAll } from 'vitest';
import { startTestApp, type TestApp } from './app';

/**
 * A test app for one test file: started before its tests and handed to `ready`, closed after
 * them. A file's own afterAll hooks, registered after this call, run before it closes.
 */
export function startAppForFile(
  ready: (t: TestApp) => void,
  ...options: Parameters<typeof startTestApp>
): void {
  let t: TestApp | undefined;
  beforeAll(async () => {
    t = await startTestApp(...options);
    ready(t);
  });
  afterAll(async () => {
    await t?.close();
  });
}

/** Calls the API as the app's operator; `app` is read at call time, once the app has started. */
export const adminCaller =
  (app: () => TestApp) =>
  <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
    app().api<T>(method, path, body, app().adminToken);
