/** A coloured label for a status or urgency; the tone follows the key. */
export function Badge({ tone, children }: { tone: string; children: string }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}
