/** The dashboard's stylesheet, inlined with the CSP nonce. Colours meet WCAG AA contrast on white. */
export const DASHBOARD_STYLE = `
:root { color-scheme: light; font: 15px/1.45 system-ui, sans-serif; color: #1b1f24; background: #fff; }
body { margin: 0 auto; max-width: 1200px; padding: 1rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
a { color: #0b57d0; }
.checks { display: flex; flex-wrap: wrap; gap: .5rem; list-style: none; padding: 0; margin: 0; }
.checks li { border: 2px solid #5f6b7a; border-radius: 6px; padding: .4rem .7rem; }
[data-status=ok] { border-color: #1e7a3c; } [data-status=slow] { border-color: #9a6700; background: #fff8e1; }
[data-status=down] { border-color: #b3261e; background: #fdecea; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: .5rem; margin: 0; }
.stat { border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem .7rem; }
.stat dt { font-size: .85rem; color: #4a5563; } .stat dd { margin: 0; font-size: 1.3rem; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; margin-top: 1rem; }
.chart { margin: 0; } .chart figcaption { font-size: .9rem; color: #4a5563; }
.chart svg { width: 100%; height: 80px; background: #f6f8fa; border-radius: 4px; }
.chart .line { fill: none; stroke: #0b57d0; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; vector-effect: non-scaling-stroke; }
.chart .threshold { stroke: #b3261e; stroke-dasharray: 4 3; vector-effect: non-scaling-stroke; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: #4a5563; font-size: .85rem; padding-bottom: .3rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #d0d7de; }
td:not(:first-child), th:not(:first-child) { text-align: right; }
.notice { background: #fff8e1; border: 1px solid #9a6700; padding: .5rem; border-radius: 6px; }
td:first-child { overflow-wrap: anywhere; }
@media (max-width: 480px) { td:nth-child(4), th:nth-child(4), td:nth-child(6), th:nth-child(6) { display: none; } th, td { padding: .3rem .25rem; } }
`;
