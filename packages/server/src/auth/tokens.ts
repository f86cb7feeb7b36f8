import { SignJWT, jwtVerify } from 'jose';
import type { Caller } from '../shared/access';
import { AppError } from '../shared/errors';

export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlS: number,
  ) {
    this.key = new TextEncoder().encode(secret);
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
      return { kind: 'user', userId: payload.sub, role };
    } catch {
      throw new AppError('UNAUTHENTICATED', 'Your session is not valid; sign in again.');
    }
  }
}
