/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';

/**
 * The house reads top-down (docs/architecture.md#dependencies-run-one-way): the cache is entered
 * only through its index, and no import runs back up a layer. Read from the source text, so a
 * new file is checked without being listed anywhere.
 */
const SOURCES: Record<string, string> = {
  ...import.meta.glob('../../worker/**/*.{ts,tsx}', { query: '?raw', import: 'default', eager: true }),
  ...import.meta.glob('../../durable-objects/**/*.ts', { query: '?raw', import: 'default', eager: true }),
};

/** Each module (repository path, no extension) and the modules it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [file, text] of Object.entries(SOURCES)) {
    const from = file.replace(/^(\.\.\/)+/, '').replace(/\.tsx?$/, '');
    const targets: string[] = [];
    for (const match of text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+'(\.[^']+)'/gm)) {
      targets.push(resolve(from, match[1] as string));
    }
    graph.set(from, targets);
  }
  return graph;
}

function resolve(from: string, specifier: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const part of specifier.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.') parts.push(part);
  }
  return parts.join('/').replace(/\.tsx?$/, '');
}

const inside = (module: string, folder: string) => module === folder || module.startsWith(`${folder}/`);

/** Folders of worker/ and what each may not import: the layers above it (worker/isolate is below all). */
const BELOW: Record<string, string[]> = {
  'worker/sections': ['worker/cache', 'worker/services', 'worker/routes', 'worker/middleware', 'worker/http'],
  'worker/cache': ['worker/services', 'worker/routes', 'worker/middleware', 'worker/http', 'worker/app', 'worker/events'],
};

describe('import layers', () => {
  const graph = importGraph();

  it('reads every module of worker/ and durable-objects/', () => {
    expect(graph.has('worker/cache/index')).toBe(true);
    expect(graph.has('worker/isolate/index')).toBe(true);
    expect(graph.has('durable-objects/cache-coordinator')).toBe(true);
  });

  it('outside worker/cache, the cache is imported only through worker/cache/index.ts', () => {
    const offenders: string[] = [];
    for (const [from, targets] of graph) {
      if (inside(from, 'worker/cache')) continue;
      for (const to of targets)
        if (inside(to, 'worker/cache') && to !== 'worker/cache/index' && to !== 'worker/cache') offenders.push(`${from} → ${to}`);
    }
    expect(offenders).toEqual([]);
  });

  it('no import runs back up: the isolate imports nothing of worker/ but itself; sections and cache import nothing above them', () => {
    const offenders: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) {
        if (inside(from, 'worker/isolate') && !inside(to, 'worker/isolate')) offenders.push(`${from} → ${to}`);
        for (const [folder, above] of Object.entries(BELOW)) {
          if (inside(from, folder) && above.some((a) => inside(to, a))) offenders.push(`${from} → ${to}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('worker/ reaches durable-objects/ only from worker/index.ts', () => {
    const offenders = [...graph].flatMap(([from, targets]) =>
      from.startsWith('worker/') && from !== 'worker/index'
        ? targets.filter((t) => t.startsWith('durable-objects/')).map((t) => `${from} → ${t}`)
        : [],
    );
    expect(offenders).toEqual([]);
  });
});
