import { isRole, type Role } from '../shared/access';
import { SignJWT, jwtVerify } from 'jose';
import { AppError } from '../shared/errors';

/** What a valid token says; whether its account still stands is the SessionGuard's question. */
interface TokenClaims {
  userId: string;
  role: Role;
  /** the account's token version when the token was issued (claim `tv`) */
  tokenVersion: number;
  expiresAtMs: number;
}

export class TokenService {
  private readonly key: Uint8Array;
  constructor(
    secret: string,
    private readonly ttlS: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(userId: string, role: Role, tokenVersion = 0): Promise<string> {
    return new SignJWT({ role, tv: tokenVersion })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlS}s`)
      .setIssuer('umeme')
      .sign(this.key);
  }

  /** The token's claims, or UNAUTHENTICATED (bad signature, expired, no expiry, malformed). */
  async verify(token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: 'umeme',
        algorithms: ['HS256'],
        // A token without an expiry would be good forever.
        requiredClaims: ['exp', 'sub'],
      });
      const { role, tv, sub, exp } = payload;
      if (
        typeof sub !== 'string' ||
        !isRole(role) ||
        typeof tv !== 'number' ||
        !Number.isSafeInteger(tv) ||
        typeof exp !== 'number'
      ) {
        throw new Error('bad claims');
      }
      return { userId: sub, role, tokenVersion: tv, expiresAtMs: exp * 1000 };
    } catch {
      throw new AppError('UNAUTHENTICATED', 'Your session is not valid; sign in again.');
    }
  }
}
