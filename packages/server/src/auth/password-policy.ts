import { dictionary } from '@zxcvbn-ts/language-common';
import { AppError } from '../shared/errors';

/**
 * The ~49,000 most common passwords of zxcvbn-ts's maintained list (lower case), built once on
 * first use. A password is refused when it, or it without trailing digits and symbols, is on
 * the list: "Password123!" is "password".
 */
let common: Set<string> | null = null;
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common']);
  return common;
}

/** Throws WEAK_PASSWORD when a new password is common or made of the account's email. */
export function assertAcceptablePassword(password: string, email: string): void {
  const lower = password.toLowerCase();
  const stem = lower.replace(/[^a-z]+$/, '');
  const list = commonPasswords();
  if (list.has(lower) || (stem.length >= 4 && list.has(stem))) {
    throw new AppError('WEAK_PASSWORD', 'That password is one of the most common; choose another.');
  }
  const local = email.toLowerCase().split('@')[0] ?? '';
  if (lower === email.toLowerCase() || (local.length >= 3 && lower.includes(local))) {
    throw new AppError('WEAK_PASSWORD', 'The password must not contain your email address; choose another.');
  }
}
