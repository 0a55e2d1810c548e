/**
 * CPU profiles of the Foyer worker while a phase runs, through workerd's own V8 inspector
 * (Miniflare's `inspectorPort`, no proxy). A ratio says how far from hello world a route is;
 * the profile says where the difference goes, so optimisation follows evidence, not guesses.
 * The `.cpuprofile` files open in Chrome DevTools (Performance → Load profile) or speedscope.
 */
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { type CpuProfile, type ProfileSummary, summarizeProfile } from './profile-summary';

export class Inspector {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = String(data);
      // Events (a heap snapshot's chunks run to many MB) are not waited for: parse answers only.
      if (!text.startsWith('{"id"')) return;
      const msg = JSON.parse(text) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const waiter = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) waiter?.reject(new Error(msg.error.message));
      else waiter?.resolve(msg.result);
    });
  }

  static async connect(port: number, worker: string): Promise<Inspector> {
    const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { id: string; webSocketDebuggerUrl?: string }[];
    // workerd names each isolate's target after the service, e.g. "core:user:foyer".
    const target = list.find((t) => t.id.endsWith(`:${worker}`)) ?? list.find((t) => t.id.includes(worker));
    if (!target) throw new Error(`no inspector target for worker "${worker}" (targets: ${list.map((t) => t.id).join(', ')})`);
    const url = target.webSocketDebuggerUrl ?? `ws://127.0.0.1:${port}/${target.id}`;
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new Inspector(socket);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise<T>((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
  }

  close(): void {
    this.socket.close();
  }
}

/** The isolate's V8 heap in bytes (`Runtime.getHeapUsage`): what the 128 MB isolate limit counts, unlike workerd's RSS. */
export interface HeapUsage {
  usedBytes: number;
  totalBytes: number;
  /** ArrayBuffer backing stores outside the V8 heap (a cached page's UTF-8 bytes live there). */
  backingBytes: number;
}

/**
 * The Foyer isolate's own heap, read through the same inspector connection as the profiles.
 * RSS is the whole workerd process (every worker, Durable Object, SQLite, the simulators); this
 * is one isolate. Locally the Durable Object classes Foyer exports share that isolate, so it is
 * an upper bound on what a deployed Worker isolate holds (docs/capacity.md).
 */
export class IsolateHeap {
  constructor(private readonly inspector: Inspector) {}

  static async attach(port: number, worker = 'foyer'): Promise<IsolateHeap> {
    return new IsolateHeap(await Inspector.connect(port, worker));
  }

  async usage(): Promise<HeapUsage> {
    const r = await this.inspector.send<{ usedSize: number; totalSize: number; backingStorageSize?: number }>('Runtime.getHeapUsage');
    return { usedBytes: r.usedSize, totalBytes: r.totalSize, backingBytes: r.backingStorageSize ?? 0 };
  }

  /**
   * A full collection first, so the figure is what is live (held by caches), not garbage awaiting
   * a GC. workerd's inspector does not answer `HeapProfiler.collectGarbage`; a heap snapshot
   * collects garbage before it walks the heap, so one is taken and its chunks thrown away. It
   * stops the isolate for a moment (seconds at tens of MB): not for every sample of a soak.
   */
  async afterGc(): Promise<HeapUsage> {
    await this.inspector.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false });
    return this.usage();
  }

  close(): void {
    this.inspector.close();
  }
}

export class WorkerProfiler {
  private constructor(
    private readonly inspector: Inspector,
    /** The heap of the profiled isolate, over the same connection. */
    readonly heap = new IsolateHeap(inspector),
  ) {}

  static async attach(port: number, worker = 'foyer'): Promise<WorkerProfiler> {
    const inspector = await Inspector.connect(port, worker);
    await inspector.send('Profiler.enable');
    // 200 µs: fine enough to see sub-millisecond handlers, coarse enough not to dominate them.
    await inspector.send('Profiler.setSamplingInterval', { interval: 200 });
    return new WorkerProfiler(inspector);
  }

  start(): Promise<unknown> {
    return this.inspector.send('Profiler.start');
  }

  async stop(file: string): Promise<ProfileSummary> {
    const { profile } = await this.inspector.send<{ profile: CpuProfile }>('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    return summarizeProfile(profile);
  }

  close(): void {
    this.inspector.close();
  }
}
