/**
 * Flags the code reads, with the answer used when the flag is not defined. An operator creates
 * the flag from the admin dashboard to start a rollout; until then the default holds.
 */
export const KNOWN_FLAGS = {
  /** The "Focus for today" card above the actionable items (web/components/focus-card.tsx). */
  'focus-card': false,
} as const satisfies Record<string, boolean>;

export type KnownFlag = keyof typeof KNOWN_FLAGS;

/** A known flag's answer from a page's `flags`, else its default. */
export function flagValue(flags: Readonly<Record<string, boolean>> | undefined, key: KnownFlag): boolean {
  return flags?.[key] ?? KNOWN_FLAGS[key];
}
