import { readFileSync } from 'node:fs';

/** A start-up failure the operator can fix (a port in use, an unreadable file): main.ts prints it. */
export class StartupError extends Error {}

/** Shutdown steps register here; the last started closes first. */
export type OnClose = (part: string, close: () => Promise<void>) => void;

export function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new StartupError(
      `${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}
