import { SignJWT, jwtVerify } from 'jose';
import type { Caller } from '../shared/access';
import { AppError } from '../shared/errors';

export class TokenService {
  private readonly key: Uint8Array;
  /** users whose sessions are refused though signed (demo accounts outside demo mode) */
  private refused: ReadonlySet<string> = new Set();

  constructor(
    secret: string,
    private readonly ttlS: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** Refuses every session of these users from now on, including ones issued before. */
  refuseUsers(userIds: Iterable<string>): void {
    this.refused = new Set(userIds);
  }

  async issue(userId: string, role: 'customer' | 'admin'): Promise<string> {
    return new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlS}s`)
      .setIssuer('umeme')
      .sign(this.key);
  }

  /** Returns the caller or throws UNAUTHENTICATED (bad signature, expired, malformed). */
  async verify(token: string): Promise<Extract<Caller, { kind: 'user' }>> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: 'umeme', algorithms: ['HS256'] });
      const role = payload.role;
      if (typeof payload.sub !== 'string' || (role !== 'customer' && role !== 'admin')) {
        throw new Error('bad claims');
      }
      if (this.refused.has(payload.sub)) throw new Error('refused user');
      return { kind: 'user', userId: payload.sub, role };
    } catch {
      throw new AppError('UNAUTHENTICATED', 'Your session is not valid; sign in again.');
    }
  }
}
