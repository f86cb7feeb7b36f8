/** Outbound HTTP helpers shared by the client and the emulator. */

export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';
}

/** Reads a fetch answer's body, refusing to buffer more than maxBytes of it. */
export async function readBodyLimited(res: Response, maxBytes: number): Promise<string> {
  if (res.body === null) return '';
  // Node's web streams are async iterable; the DOM typings do not say so.
  return readStreamLimited(res.body as unknown as AsyncIterable<Uint8Array>, maxBytes);
}

/**
 * Reads a body chunk by chunk (a fetch answer's or undici's request's), refusing to buffer more
 * than maxBytes of it. Leaving the loop by the throw cancels or destroys the stream.
 */
export async function readStreamLimited(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new ResponseTooLargeError(`answer larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJsonOrUndefined(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

interface PostJsonResult {
  status?: number;
  json?: unknown;
  error?: string;
}

/** POSTs JSON and never throws: the emulator records failures instead of crashing on them. */
export async function postJson(
  url: string,
  body: unknown,
  options: { timeoutMs: number; maxResponseBytes: number; signal?: AbortSignal },
): Promise<PostJsonResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]),
      redirect: 'error',
    });
    const text = await readBodyLimited(res, options.maxResponseBytes);
    return { status: res.status, json: parseJsonOrUndefined(text) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
