import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import dashboard from '../../ops/grafana/foyer.json';
import alertRules from '../../ops/prometheus/alerts.yml?raw';
import { CATALOG, type MetricDefinition } from '../../worker/observability/catalog';
import { CHECK_NAMES } from '../../worker/services/dependency-checks';
import { authHeaders } from '../helpers/auth';
import { call } from '../helpers/http';
import { type Family, parsePrometheus } from '../helpers/prometheus';
import { seed } from '../helpers/seed';

/** `foyer_…` metric names, not the tail of a recording rule's `level:metric:operation` name. */
const METRIC = /(?<![\w:])(foyer_[a-z0-9_]+)(\{([^}]*)\})?/g;
const RECORDED = /(?<![\w:])(foyer:[a-z0-9_:]+)/g;
const LABEL_MATCHER = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g;

interface Use {
  name: string;
  labels: string[];
}

function uses(text: string): Use[] {
  return [...text.matchAll(METRIC)].map((m) => ({
    name: m[1] as string,
    labels: [...(m[3] ?? '').matchAll(LABEL_MATCHER)].map((l) => l[1] as string),
  }));
}

const dashboardExprs = (dashboard.panels as { targets?: { expr: string }[] }[]).flatMap((p) => (p.targets ?? []).map((t) => t.expr));

/** The exposition family a sample name belongs to (`…_bucket` to its histogram, `…_sum` to its histogram or summary). */
function familyOf(families: Map<string, Family>, name: string): Family | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  const base = families.get(name.replace(/_(bucket|sum|count)$/, ''));
  if (base?.type === 'histogram') return base;
  return base?.type === 'summary' && /_(sum|count)$/.test(name) ? base : undefined;
}

function labelsOf(family: Family): Set<string> {
  const declared = (CATALOG as Record<string, MetricDefinition>)[family.name]?.labels ?? [];
  const seen = family.samples.flatMap((s) => Object.keys(s.labels));
  return new Set([
    ...declared,
    ...seen,
    ...(family.type === 'histogram' ? ['le'] : []),
    ...(family.type === 'summary' ? ['quantile'] : []),
  ]);
}

let families: Map<string, Family>;

beforeAll(async () => {
  await seed(env.DB);
  const res = await call('/api/v1/metrics?format=prometheus', { headers: await authHeaders('ops', 'admin') });
  expect(res.status).toBe(200);
  families = parsePrometheus(await res.text());
});

describe('ops/ (alert rules and Grafana dashboard) name only what /api/v1/metrics?format=prometheus exposes', () => {
  const sources = { 'ops/prometheus/alerts.yml': alertRules, 'ops/grafana/foyer.json': dashboardExprs.join('\n') };

  for (const [file, text] of Object.entries(sources)) {
    it(`every metric in ${file} is an exposed family, with labels it carries`, () => {
      const found = uses(text);
      expect(found.length).toBeGreaterThan(5);
      const unknown = found.filter((u) => !familyOf(families, u.name)).map((u) => u.name);
      expect(unknown, `not in the exposition: rename in ${file} or add to worker/observability/catalog.ts`).toEqual([]);
      const badLabels = found.flatMap((u) => {
        const allowed = labelsOf(familyOf(families, u.name) as Family);
        return u.labels.filter((l) => !allowed.has(l)).map((l) => `${u.name}{${l}}`);
      });
      expect(badLabels, 'label matchers on labels the metric does not have never match').toEqual([]);
    });
  }

  it('the dashboard reads only recording rules that alerts.yml defines', () => {
    const defined = new Set([...alertRules.matchAll(/record:\s*(\S+)/g)].map((m) => m[1]));
    const used = dashboardExprs.flatMap((e) => [...e.matchAll(RECORDED)].map((m) => m[1]));
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((n) => !defined.has(n))).toEqual([]);
  });

  it('the rules and the dashboard cover every family the exposition announces', () => {
    const all = `${alertRules}\n${dashboardExprs.join('\n')}`;
    const covered = new Set(uses(all).map((u) => familyOf(families, u.name)?.name));
    expect([...families.keys()].filter((name) => !covered.has(name))).toEqual([]);
  });

  it('rejects a name the exposition lacks (the check can fail)', () => {
    const [typo] = uses('rate(foyer_http_request_total[5m])');
    expect(typo && familyOf(families, typo.name)).toBeUndefined();
  });
});

describe('what the alerts read', () => {
  it('a scrape carries health as gauges: exactly one current status overall and per check', () => {
    const overall = families.get('foyer_health_status');
    expect(overall?.type).toBe('gauge');
    expect(overall?.samples.filter((s) => s.value === 1)).toHaveLength(1);
    const checks = families.get('foyer_health_check_status')?.samples ?? [];
    for (const check of CHECK_NAMES) {
      expect(
        checks.filter((s) => s.labels.check === check && s.value === 1),
        check,
      ).toHaveLength(1);
    }
    expect(families.get('foyer_health_check_latency_seconds')?.samples).toHaveLength(CHECK_NAMES.length);
  });

  it('an intro page counts each of its sections by state', async () => {
    const admin = await authHeaders('ops', 'admin');
    const servedFresh = async () => {
      const res = await call('/api/v1/metrics?format=prometheus', { headers: admin });
      const samples = parsePrometheus(await res.text()).get('foyer_intro_page_sections_total')?.samples ?? [];
      return samples.find((s) => s.labels.section === 'userStatistics' && s.labels.state === 'fresh')?.value ?? 0;
    };
    const before = await servedFresh();
    expect((await call('/api/v1/intro-page/alice', { headers: await authHeaders('alice') })).status).toBe(200);
    expect(await servedFresh()).toBe(before + 1);
  });
});
