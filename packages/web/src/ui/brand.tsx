export function BoltLogo({ size = 32 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" fill="var(--brand)" />
      <path d="M18 4 8 18h7l-2 10 11-15h-7z" fill="var(--spark)" />
    </svg>
  );
}
