import { describe, expect, it } from 'vitest';
import { type CpuProfile, renderProfileSummary, summarizeProfile } from '../../load/lib/profile-summary';

const frame = (functionName: string, lineNumber = 0) => ({ functionName, url: 'index.js', lineNumber, columnNumber: 0 });

/**
 * root → handler → { stringify, verify }, plus idle. Samples (1 ms apart): handler ×1,
 * stringify ×3, verify ×2, idle ×4. A sample's time is the delta to the next one.
 */
const profile: CpuProfile = {
  startTime: 0,
  endTime: 10_000,
  nodes: [
    { id: 1, callFrame: { ...frame('(root)'), url: '' }, children: [2, 5] },
    { id: 2, callFrame: frame('handler', 9), children: [3, 4] },
    { id: 3, callFrame: frame('stringify', 19) },
    { id: 4, callFrame: frame('verify', 29) },
    { id: 5, callFrame: { ...frame('(idle)'), url: '' } },
  ],
  samples: [2, 3, 3, 3, 4, 4, 5, 5, 5, 5],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe('summarizeProfile', () => {
  const summary = summarizeProfile(profile);

  it('charges each sample the time until the next one and separates idle time', () => {
    // Ten samples, nine deltas after the first: the last sample has no successor.
    expect(summary.totalMs).toBe(9);
    expect(summary.idleShare).toBeCloseTo(3 / 9, 3);
  });

  it('ranks self time among busy samples, idle excluded', () => {
    expect(summary.selfTop.map((e) => [e.name, e.ms])).toEqual([
      ['stringify', 3],
      ['verify', 2],
      ['handler', 1],
    ]);
    expect(summary.selfTop[0]?.share).toBeCloseTo(3 / 6, 3);
    expect(summary.selfTop[0]?.where).toBe('index.js:20');
  });

  it('charges inclusive time to every function on the stack once', () => {
    expect(summary.totalTop[0]).toMatchObject({ name: 'handler', ms: 6, share: 1 });
    expect(summary.totalTop.some((e) => e.name === '(idle)' || e.name === '(root)')).toBe(false);
  });

  it('renders a readable table', () => {
    const text = renderProfileSummary('page', summary);
    expect(text).toContain('page: 9 ms sampled, 33 % idle');
    expect(text).toMatch(/50\.0 %\s+3 ms\s+stringify\s+index\.js:20/);
  });
});
