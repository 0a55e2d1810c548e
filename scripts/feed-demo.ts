/**
 * Shows the live feed from a program's side, against a running local server:
 *   npm run -s feed:demo -- [--url http://127.0.0.1:8787] [--user alice]
 *
 * 1. connects with the user's bearer token and receives the event of a task it creates
 *    through the API; 2. disconnects, creates two more tasks, reconnects with `?after=` the last
 *    id it had and receives exactly those two. Exit code 0 only if both hold.
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { signToken } from '../worker/auth/sign-token';
import { errorMessage } from '../worker/observability/log';
import { type FeedServerMessage, parseServerMessage } from '../worker/schemas/feed-messages';
import { localVars } from './local-config';

const { values } = parseArgs({
  options: { url: { type: 'string', default: 'http://127.0.0.1:8787' }, user: { type: 'string', default: 'alice' } },
});
const base = values.url!.replace(/\/$/, '');
const vars = localVars();
const token = await signToken(
  { userId: values.user!, role: 'user' },
  { secret: vars.JWT_SECRET!, issuer: vars.JWT_ISSUER ?? 'foyer-local', audience: vars.JWT_AUDIENCE ?? 'foyer' },
);
const auth = { Authorization: `Bearer ${token}` };

interface Feed {
  ws: WebSocket;
  messages: FeedServerMessage[];
  next(predicate: (m: FeedServerMessage) => boolean, what: string): Promise<FeedServerMessage>;
}

function connect(after?: number): Promise<Feed> {
  const url = `${base.replace(/^http/, 'ws')}/api/v1/feed${after === undefined ? '' : `?after=${after}`}`;
  console.log(`→ connect ${url.replace(base.replace(/^http/, 'ws'), '')}`);
  const ws = new WebSocket(url, { headers: auth });
  const feed: Feed = {
    ws,
    messages: [],
    next: (predicate, what) =>
      new Promise((resolve, reject) => {
        const found = feed.messages.find(predicate);
        if (found) return resolve(found);
        const timer = setTimeout(() => reject(new Error(`no ${what} within 5 s`)), 5000);
        ws.on('message', function onMessage() {
          const hit = feed.messages.find(predicate);
          if (!hit) return;
          clearTimeout(timer);
          ws.off('message', onMessage);
          resolve(hit);
        });
      }),
  };
  ws.on('message', (data) => {
    const message = parseServerMessage(data.toString());
    if (!message) throw new Error(`frame outside the wire schema: ${data.toString()}`);
    console.log(`← ${JSON.stringify(message).slice(0, 160)}`);
    feed.messages.push(message);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(feed));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function createTask(title: string): Promise<number> {
  const res = await fetch(`${base}/api/v1/tasks`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ title }),
  });
  const body = (await res.json()) as { event: { id: number } };
  if (res.status !== 201) throw new Error(`POST /api/v1/tasks answered ${res.status}: ${JSON.stringify(body)}`);
  console.log(`→ POST /api/v1/tasks "${title}" → 201, event ${body.event.id}`);
  return body.event.id;
}

const isEvent = (id: number) => (m: FeedServerMessage) => m.type === 'event' && m.event.id === id;

try {
  const live = await connect();
  const ready = await live.next((m) => m.type === 'ready', 'ready');
  const created = await createTask(`feed demo ${new Date().toISOString()}`);
  await live.next(isEvent(created), `event ${created}`);
  console.log(
    `✓ the socket received event ${created} of the task ${values.user} just created (ready said ${ready.type === 'ready' && ready.lastEventId})`,
  );

  live.ws.close(1000, 'going offline');
  console.log('… disconnected; writing while offline');
  const missed = [await createTask('written while offline 1'), await createTask('written while offline 2')];

  const resumed = await connect(created);
  await resumed.next(isEvent(missed.at(-1)!), `event ${missed.at(-1)}`);
  const got = resumed.messages.flatMap((m) => (m.type === 'event' ? [m.event.id] : []));
  if (JSON.stringify(got) !== JSON.stringify(missed))
    throw new Error(`resume sent ${JSON.stringify(got)}, expected ${JSON.stringify(missed)}`);
  console.log(`✓ reconnect with ?after=${created} filled the gap: events ${got.join(', ')}, in order, nothing else`);
  resumed.ws.close(1000, 'done');
} catch (err) {
  console.error(`✗ ${errorMessage(err)}`);
  process.exit(1);
}
