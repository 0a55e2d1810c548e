/**
 * The explicit, reasoned opt-in a migration file carries when it really means to do something
 * destructive or locking:
 *
 *     -- foyer:allow-destructive drop-column:tasks.snoozed_until reason="contract step: release 2026.11.3 stopped reading it"
 *
 * One marker allows one rule, for one target (`table` or `table.column`) or, without a target,
 * for every finding of that rule in the file. The reason is recorded in the migration audit.
 */

export const RULES = [
  'drop-table',
  'drop-column',
  'rename',
  'not-null-without-default',
  'type-change',
  'table-rebuild',
  'cascade-delete',
  'delete-without-where',
] as const;
export type Rule = (typeof RULES)[number];

export const MARKER_PREFIX = 'foyer:allow-destructive';
/** Long enough that "ok" or "todo" cannot pass for a reason. */
export const MIN_REASON_LENGTH = 12;

export interface Marker {
  rule: Rule;
  /** `table` or `table.column`, lower-cased; undefined = every finding of the rule in the file. */
  target?: string;
  reason: string;
  line: number;
}

export interface MarkerProblem {
  line: number;
  message: string;
}

export function markerExample(rule: Rule, target: string): string {
  return `-- ${MARKER_PREFIX} ${rule}:${target} reason="<why this is safe now, e.g. which release stopped reading it>"`;
}

/**
 * Reads every marker comment of a migration file; malformed ones come back as problems so a
 * typo never silently fails to allow (or silently allows) anything.
 *
 * @example parseMarkers('-- foyer:allow-destructive drop-table:legacy reason="unused since v3, emptied in 0007"')
 */
export function parseMarkers(source: string): { markers: Marker[]; problems: MarkerProblem[] } {
  const markers: Marker[] = [];
  const problems: MarkerProblem[] = [];
  source.split('\n').forEach((text, index) => {
    const line = index + 1;
    const at = text.indexOf(MARKER_PREFIX);
    if (at === -1 || !/^\s*--/.test(text)) return;
    const rest = text.slice(at + MARKER_PREFIX.length);
    const m = /^\s+([a-z-]+)(?::([\w.]+))?\s+reason="([^"]*)"\s*$/.exec(rest);
    if (!m) {
      problems.push({
        line,
        message: `Malformed marker. Write it as: -- ${MARKER_PREFIX} <rule>[:<table>[.<column>]] reason="<why>" (rules: ${RULES.join(', ')}).`,
      });
      return;
    }
    const rule = m[1] as Rule;
    if (!RULES.includes(rule)) {
      problems.push({ line, message: `Unknown rule "${m[1]}" in marker; known rules: ${RULES.join(', ')}.` });
      return;
    }
    const reason = m[3]!.trim();
    if (reason.length < MIN_REASON_LENGTH) {
      problems.push({
        line,
        message: `The marker for ${rule} needs a real reason (at least ${MIN_REASON_LENGTH} characters): say why it is safe now.`,
      });
      return;
    }
    markers.push({ rule, ...(m[2] ? { target: m[2].toLowerCase() } : {}), reason, line });
  });
  return { markers, problems };
}

/** The marker that allows `rule` on `target` (`table.column` also matches a `table` marker). */
export function findMarker(markers: readonly Marker[], rule: Rule, target: string): Marker | undefined {
  const t = target.toLowerCase();
  return markers.find((m) => m.rule === rule && (m.target === undefined || m.target === t || t.startsWith(`${m.target}.`)));
}
