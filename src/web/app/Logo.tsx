/** The Zhian shield, drawn inline so that nothing is fetched. */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 64 64" aria-hidden="true" style={{ flex: 'none' }}>
      <rect width="64" height="64" rx="12" fill="#1d4ed8" />
      <path d="M32 10 L50 18 V32 C50 43 42 51 32 54 C22 51 14 43 14 32 V18 Z" fill="none" stroke="#fff" strokeWidth="4" />
      <path d="M24 32 l6 6 l11 -12" fill="none" stroke="#fff" strokeWidth="4" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
