import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../shared/errors';

/**
 * Daraja callbacks are unsigned: trust comes from the secret in the URL and, when configured,
 * the sender's address. A wrong secret answers exactly like a missing route (404); a sender
 * outside the allow-list is refused before the secret is even looked at, so it learns nothing
 * about the secret.
 */
export class CallbackGuard {
  private readonly tokenDigest: Buffer;
  private readonly allowed: ReadonlySet<string>;

  constructor(token: string, allowList: readonly string[]) {
    this.tokenDigest = digest(token);
    this.allowed = new Set(allowList.map(normaliseAddress));
  }

  /** Throws FORBIDDEN or NOT_FOUND; returns when the caller may deliver a callback. */
  check(remoteAddress: string, presentedToken: string | undefined): void {
    if (this.allowed.size > 0 && !this.allowed.has(normaliseAddress(remoteAddress))) {
      throw new AppError('FORBIDDEN');
    }
    if (presentedToken === undefined || !timingSafeEqual(digest(presentedToken), this.tokenDigest)) {
      throw new AppError('NOT_FOUND');
    }
  }

  /** A Fastify preValidation hook (after the body limit and JSON parsing, before the schema) reading the token from the path (`:token`) or the query (`?t=`). */
  readonly preValidation = async (request: FastifyRequest): Promise<void> => {
    const params = request.params as Record<string, unknown> | undefined;
    const query = request.query as Record<string, unknown> | undefined;
    const token = params?.token ?? query?.t;
    this.check(request.ip, typeof token === 'string' ? token : undefined);
  };
}

/** Same-length digests, so the comparison time says nothing about the token's length. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** `::ffff:196.201.214.200` (IPv4 on a dual-stack socket) is `196.201.214.200`. */
export function normaliseAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

/** For request logs on routes whose URL holds the callback token: the path without it. */
export function redactedRequestForLog(request: FastifyRequest): Record<string, unknown> {
  const path = request.url.split('?')[0] ?? '';
  return {
    method: request.method,
    url: path.startsWith('/daraja/callback/') ? '/daraja/callback/[redacted]' : path,
    remoteAddress: request.ip,
  };
}
