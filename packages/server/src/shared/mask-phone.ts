/** A phone number as shown back to a customer or operator: the first four and last four digits. */
export function maskPhone(phone: string | null): string | null {
  if (phone === null) return null;
  return phone.length > 8 ? `${phone.slice(0, 4)}****${phone.slice(-4)}` : '****';
}
