/**
 * A strict reader of the Prometheus text format (0.0.4), enough to check what
 * /api/v1/metrics renders: every sample belongs to a family announced by HELP and TYPE,
 * histograms are cumulative, end in +Inf and carry _sum and _count, and only summaries carry
 * `quantile` (the rule `promtool check metrics` enforces).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  let current: Family | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [, name = '', ...help] = line.split(' ').slice(1);
      if (families.has(name)) throw new Error(`family ${name} announced twice`);
      current = { name, help: help.join(' '), type: '', samples: [] };
      families.set(name, current);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!current || current.name !== name) throw new Error(`TYPE for ${name} without its HELP first`);
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type ?? '')) throw new Error(`bad type ${type}`);
      current.type = type as string;
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const [, name = '', , labelText = '', value = ''] = match;
    const suffixes = { histogram: /_(bucket|sum|count)$/, summary: /_(sum|count)$/ }[current?.type ?? ''];
    const base = suffixes ? name.replace(suffixes, '') : name;
    if (!current || current.name !== base || !current.type) throw new Error(`sample ${name} outside its family`);
    const labels: Record<string, string> = {};
    for (const m of labelText.matchAll(LABEL))
      labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    if ('quantile' in labels && current.type !== 'summary') throw new Error(`${name}: a ${current.type} with a "quantile" label`);
    const number = value === '+Inf' ? Number.POSITIVE_INFINITY : Number(value);
    if (Number.isNaN(number) && value !== 'NaN') throw new Error(`bad value in ${line}`);
    current.samples.push({ name, labels, value: number });
  }
  return families;
}

/** Throws unless every histogram series is cumulative, ends in +Inf = _count, and has _sum. */
export function assertHistogramsWellFormed(families: Map<string, Family>): number {
  let checked = 0;
  for (const family of families.values()) {
    if (family.type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of family.samples) {
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), { ...s, labels: le === undefined ? rest : { ...rest, le } }]);
    }
    for (const [key, samples] of series) {
      const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
      if (buckets.length < 2) throw new Error(`${family.name}${key}: too few buckets`);
      let previousLe = Number.NEGATIVE_INFINITY;
      let previous = 0;
      for (const b of buckets) {
        const le = b.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(b.labels.le);
        if (!(le > previousLe)) throw new Error(`${family.name}${key}: le not increasing`);
        if (b.value < previous) throw new Error(`${family.name}${key}: buckets not cumulative`);
        previousLe = le;
        previous = b.value;
      }
      if (buckets.at(-1)?.labels.le !== '+Inf') throw new Error(`${family.name}${key}: last bucket is not +Inf`);
      const count = samples.find((s) => s.name === `${family.name}_count`);
      const sum = samples.find((s) => s.name === `${family.name}_sum`);
      if (!count || !sum) throw new Error(`${family.name}${key}: _sum or _count missing`);
      if (count.value !== buckets.at(-1)?.value) throw new Error(`${family.name}${key}: +Inf bucket differs from _count`);
      checked++;
    }
  }
  return checked;
}

/** Throws unless every summary series has quantiles in [0, 1], and _sum and _count (≥ 0). */
export function assertSummariesWellFormed(families: Map<string, Family>): number {
  let checked = 0;
  for (const family of families.values()) {
    if (family.type !== 'summary') continue;
    const quantiles = family.samples.filter((s) => s.name === family.name);
    if (quantiles.length === 0) throw new Error(`${family.name}: no quantile samples`);
    for (const q of quantiles) {
      const at = Number(q.labels.quantile);
      if (!(at >= 0 && at <= 1)) throw new Error(`${family.name}: quantile "${q.labels.quantile}" is not in [0, 1]`);
    }
    const count = family.samples.find((s) => s.name === `${family.name}_count`);
    const sum = family.samples.find((s) => s.name === `${family.name}_sum`);
    if (!count || !sum) throw new Error(`${family.name}: _sum or _count missing`);
    if (!(count.value >= 0 && sum.value >= 0)) throw new Error(`${family.name}: negative _sum or _count`);
    checked++;
  }
  return checked;
}
