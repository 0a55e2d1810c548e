/**
 * GET /: the server-rendered intro page as a browser asks for it (session cookie, HTML,
 * streamed), for many distinct users, against the hello-world worker at the same concurrency.
 * The ratio to the baseline is the figure docs/web.md reports (goal: at least 0.4). A second
 * phase reads the same users' JSON page (`/api/v1/intro-page/:id`): the difference between the
 * two is what rendering HTML costs on top of assembling the data.
 */
import type { RequestSpec } from '../lib/http-load';
import { intOption, introPage, type Scenario } from '../lib/scenario';
import { type LoadUser, prng } from '../lib/users';

/** GET / as a browser asks for it: the session cookie, HTML. */
export const htmlPageOf = (user: LoadUser): RequestSpec => ({
  path: '/',
  headers: { cookie: `foyer_session=${user.token}`, accept: 'text/html' },
});

export const html: Scenario = {
  name: 'html',
  description:
    'GET / — the streamed, server-rendered intro page (session cookie) of the user pool (1000, or --users) at --connections (default 50), then the JSON page of the same users.',
  defaultDurationSec: 15,
  users: 1000,
  async run(ctx) {
    const connections = intOption(ctx, 'connections', 50);
    const { ok, failed } = await ctx.warm(ctx.users.map(htmlPageOf));
    ctx.log(`warmed ${ok} pages (${failed} failed)`);
    if (failed > 0) ctx.note(`warm-up: ${failed} of ${ok + failed} pages failed before measuring`);
    const random = prng(11);
    await ctx.measure(`GET / (html) @${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: () => htmlPageOf(ctx.users[Math.floor(random() * ctx.users.length)]!),
    });
    const sameUsers = prng(11);
    await ctx.measure(`GET /api/v1/intro-page (json) @${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: () => introPage(ctx.users[Math.floor(sameUsers() * ctx.users.length)]!),
    });
  },
};
