/**
 * The dashboard's whole script, inlined with the page's CSP nonce: every 5 s it reads
 * /api/v1/metrics and /api/v1/health (same origin, the session cookie) and rewrites the
 * `data-*` marked text, health tiles, route table and chart lines. No framework, no build
 * step, no eval: a string the page embeds as is.
 */
export const LIVE_SCRIPT = `(() => {
  const W = 300, H = 80, $ = (s) => document.querySelectorAll(s);
  const f = {
    ms: (v) => v == null ? '–' : v < 10 ? v.toFixed(1) + ' ms' : Math.round(v) + ' ms',
    pct: (v) => v == null ? '–' : (v * 100).toFixed(1) + ' %',
    n: (v) => v == null ? '–' : String(v),
  };
  const get = (o, path) => path.split('.').reduce((a, k) => (a == null ? a : a[k]), o);
  const points = (vals, max, thr) => {
    const top = max || Math.max(1, thr || 0, ...vals.map((v) => v || 0));
    const step = vals.length > 1 ? W / (vals.length - 1) : 0;
    const pts = vals.map((v, i) => v == null ? '' : (i * step).toFixed(1) + ',' + (H - (Math.min(v, top) / top) * H).toFixed(1)).filter(Boolean);
    return (pts.length === 1 ? [pts[0], pts[0]] : pts).join(' ');
  };
  const say = (t) => { for (const el of $('[data-live-status]')) el.textContent = t; };
  function render(m, h) {
    for (const el of $('[data-m]')) { const [p, u] = el.dataset.m.split('|'); el.textContent = f[u || 'n'](get(m, p)); }
    for (const el of $('[data-h]')) { const [p, u] = el.dataset.h.split('|'); el.textContent = f[u || 'n'](get(h, p)); }
    for (const el of $('[data-check]')) el.dataset.status = get(h, el.dataset.check + '.status') || 'down';
    for (const svg of $('svg[data-series]')) {
      const vals = m.timeline.map((t) => t[svg.dataset.series]);
      svg.querySelector('polyline').setAttribute('points', points(vals, +svg.dataset.max || 0, +svg.dataset.threshold || 0));
      const last = [...vals].reverse().find((v) => v != null);
      for (const el of $('[data-latest="' + svg.dataset.series + '"]')) el.textContent = f[svg.dataset.unit](last);
    }
    const body = document.querySelector('[data-routes]');
    if (body) body.replaceChildren(...m.http.routes.slice(0, 15).map((r) => {
      const tr = document.createElement('tr');
      for (const v of [r.method + ' ' + r.route, f.n(r.requests), f.pct(r.errorRate), f.ms(r.p50Ms), f.ms(r.p95Ms), f.ms(r.p99Ms)]) {
        const td = document.createElement('td'); td.textContent = v; tr.append(td);
      }
      return tr;
    }));
  }
  async function tick() {
    try {
      const opts = { headers: { Accept: 'application/json' }, cache: 'no-store' };
      const [mr, hr] = await Promise.all([fetch('/api/v1/metrics?minutes=30', opts), fetch('/api/v1/health', opts)]);
      if (!mr.ok) throw new Error('metrics answered ' + mr.status);
      render(await mr.json(), await hr.json());
      say('Live: updated ' + new Date().toLocaleTimeString());
    } catch (e) {
      say('Live updates paused (' + e.message + '); retrying in 5 s.');
    }
  }
  setInterval(tick, 5000);
})();`;
