/**
 * The one way a phone number is shown back to anyone (customer, operator, receipt, SMS log):
 * the first four and the last three digits, the rest as stars, like M-Pesa's own masked
 * MSISDN (`2547 ***** 678`) without its spaces: `254712345678` → `2547*****678`.
 */
export function maskPhone(phone: string | null): string | null {
  if (phone === null) return null;
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 7) return '*'.repeat(Math.max(3, digits.length));
  return `${digits.slice(0, 4)}${'*'.repeat(digits.length - 7)}${digits.slice(-3)}`;
}
