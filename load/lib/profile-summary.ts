/**
 * Reads a V8 CPU profile (the `.cpuprofile` the inspector returns) into the few lines a person
 * acts on: which functions the worker spent its time in, by self and by inclusive time.
 */
export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  /** Sampled time in ms. */
  totalMs: number;
  /** Share of samples in which the isolate ran nothing (waiting for I/O or for work). */
  idleShare: number;
  /** Functions with the most self time. */
  selfTop: { name: string; where: string; ms: number; share: number }[];
  /** Functions with the most total (inclusive) time, excluding the root and idle. */
  totalTop: { name: string; where: string; ms: number; share: number }[];
}

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)']);

/** Self and inclusive time per function (merged by name and location) from a V8 CPU profile. */
export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let totalMs = 0;
  // A sample's time is the delta to the next sample.
  for (let i = 0; i < samples.length; i++) {
    const ms = (deltas[i + 1] ?? 0) / 1000;
    totalMs += ms;
    selfMs.set(samples[i]!, (selfMs.get(samples[i]!) ?? 0) + ms);
  }
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const key = (n: ProfileNode) => {
    const f = n.callFrame;
    const file = f.url.split('/').pop() ?? '';
    return { name: f.functionName || '(anonymous)', where: file ? `${file}:${f.lineNumber + 1}` : '' };
  };
  const self = new Map<string, { name: string; where: string; ms: number }>();
  const inclusive = new Map<string, { name: string; where: string; ms: number }>();
  let idleMs = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id)!;
    if (IDLE.has(node.callFrame.functionName) && node.callFrame.functionName !== '(garbage collector)') idleMs += ms;
    const k = key(node);
    const sk = `${k.name}@${k.where}`;
    self.set(sk, { ...k, ms: (self.get(sk)?.ms ?? 0) + ms });
    // Inclusive: charge every distinct function on the stack once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (n.callFrame.functionName === '(root)') break;
      const kk = key(n);
      const ik = `${kk.name}@${kk.where}`;
      if (seen.has(ik)) continue;
      seen.add(ik);
      inclusive.set(ik, { ...kk, ms: (inclusive.get(ik)?.ms ?? 0) + ms });
    }
  }
  const busy = Math.max(totalMs - idleMs, 0.001);
  const rank = (m: Map<string, { name: string; where: string; ms: number }>) =>
    [...m.values()]
      .filter((e) => !IDLE.has(e.name))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((e) => ({ ...e, ms: Math.round(e.ms), share: Math.round((e.ms / busy) * 1000) / 1000 }));
  return {
    totalMs: Math.round(totalMs),
    idleShare: Math.round((idleMs / Math.max(totalMs, 0.001)) * 1000) / 1000,
    selfTop: rank(self),
    totalTop: rank(inclusive),
  };
}

export function renderProfileSummary(title: string, s: ProfileSummary): string {
  const rows = (list: ProfileSummary['selfTop']) =>
    list.map((e) => `  ${(e.share * 100).toFixed(1).padStart(5)} %  ${String(e.ms).padStart(6)} ms  ${e.name}  ${e.where}`).join('\n');
  return `${title}: ${s.totalMs} ms sampled, ${(s.idleShare * 100).toFixed(0)} % idle\n self time (share of busy time):\n${rows(s.selfTop)}\n inclusive time:\n${rows(s.totalTop)}`;
}
