/**
 * Sends SMS through Africa's Talking (`POST /version1/messaging`, form-encoded, `apiKey` header).
 * One call, one recipient: the outbox owns retries and must know per message what happened.
 */
import {
  AT_ACCEPTED_CODES,
  AT_PERMANENT_CODES,
  AT_SMS_STATUS,
  sendSmsResponseSchema,
  type AtSmsStatusCode,
} from './schemas';

export const AT_MAX_RESPONSE_BYTES = 64 * 1024;
export const AT_DEFAULT_TIMEOUT_MS = 10_000;

export interface AfricasTalkingClientOptions {
  /** `atBaseUrlFor(env)` or the emulator's URL. */
  baseUrl: string;
  username: string;
  apiKey: string;
  /** Registered sender id or short code; the account's default when absent. */
  from?: string;
  timeoutMs?: number;
}

export type SendSmsResult =
  | { kind: 'accepted'; messageId: string; statusCode: number; cost: string }
  | {
      kind: 'refused';
      statusCode: number;
      status: string;
      /** Sending again would be refused again: give up on this message. */
      permanent: boolean;
    };

export class AfricasTalkingError extends Error {
  override readonly name = 'AfricasTalkingError';
  constructor(
    message: string,
    /** HTTP status, 0 when no answer came. */
    readonly httpStatus: number,
    /**
     * The request may have reached the gateway (a timeout or a broken answer): a retry could
     * send the message twice.
     */
    readonly mayHaveBeenSent: boolean,
  ) {
    super(message);
  }
}

export class AfricasTalkingClient {
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: AfricasTalkingClientOptions) {
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/version1/messaging`;
    this.timeoutMs = options.timeoutMs ?? AT_DEFAULT_TIMEOUT_MS;
  }

  async sendSms(to: string, message: string): Promise<SendSmsResult> {
    const form = new URLSearchParams({ username: this.options.username, to, message });
    if (this.options.from !== undefined) form.set('from', this.options.from);
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          apiKey: this.options.apiKey,
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      // A refused or unreachable connection sent nothing; a timeout may have.
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new AfricasTalkingError(
        timedOut ? 'no answer from the SMS gateway in time' : 'could not reach the SMS gateway',
        0,
        timedOut,
      );
    }
    const text = await readLimited(res);
    if (res.status === 401 || res.status === 403 || (res.status >= 400 && res.status < 500)) {
      // Refused before sending: wrong credentials, a bad request or a rate limit.
      throw new AfricasTalkingError(`the SMS gateway refused the request (${res.status})`, res.status, false);
    }
    if (res.status >= 500) {
      // The gateway takes a message by answering it per recipient; an error status instead of
      // that answer is an outage that took nothing, so the message can be sent again.
      throw new AfricasTalkingError(`the SMS gateway failed (${res.status})`, res.status, false);
    }
    let parsed;
    try {
      parsed = sendSmsResponseSchema.parse(JSON.parse(text));
    } catch {
      throw new AfricasTalkingError('the SMS gateway answered in an unknown shape', res.status, true);
    }
    const recipient = parsed.SMSMessageData.Recipients[0];
    if (!recipient) {
      // No recipient line: the gateway took nothing (for example an invalid number it dropped).
      return { kind: 'refused', statusCode: 403, status: parsed.SMSMessageData.Message, permanent: true };
    }
    if (AT_ACCEPTED_CODES.has(recipient.statusCode)) {
      return {
        kind: 'accepted',
        messageId: recipient.messageId,
        statusCode: recipient.statusCode,
        cost: recipient.cost,
      };
    }
    return {
      kind: 'refused',
      statusCode: recipient.statusCode,
      status: AT_SMS_STATUS[recipient.statusCode as AtSmsStatusCode] ?? recipient.status,
      permanent: AT_PERMANENT_CODES.has(recipient.statusCode),
    };
  }
}

async function readLimited(res: Response): Promise<string> {
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > AT_MAX_RESPONSE_BYTES)
      throw new AfricasTalkingError('the SMS gateway answer is too large', res.status, true);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
