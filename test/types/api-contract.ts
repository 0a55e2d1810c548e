/**
 * Compile-time contract of the typed client: `npm run typecheck` (tsc over test/) fails when a
 * route's shape changes, i.e. when a status code, a body field, a param or a query field is
 * added, removed or retyped without this file (and the clients built on it) being updated.
 * Lines marked @ts-expect-error are calls that must NOT compile; if a change makes one of them
 * valid, tsc reports the directive as unused and the type check fails.
 * Never imported at run time.
 */
import type { InferRequestType, InferResponseType } from 'hono/client';
import type { FoyerClient } from '../../client';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type StatusOf<F> = F extends (...args: never[]) => Promise<infer R> ? (R extends { status: infer S } ? S : never) : never;

declare const foyer: FoyerClient;

type CreateTask = InferRequestType<FoyerClient['tasks']['$post']>['json'];
type TaskChange = InferResponseType<FoyerClient['tasks']['$post'], 201>;
type Problem = InferResponseType<FoyerClient['tasks']['$post'], 400>;
type IntroPage = InferResponseType<FoyerClient['intro-page'][':userId']['$get'], 200>;
type PurgeBody = InferRequestType<FoyerClient['admin']['cache']['purge']['$post']>['json'];
type RegisterUser = InferRequestType<FoyerClient['users']['$post']>['json'];
type UserRegistered = InferResponseType<FoyerClient['users']['$post'], 201>;
type ReplayBody = InferRequestType<FoyerClient['admin']['dead-letters']['replay']['$post']>['json'];
type ReplayResult = InferResponseType<FoyerClient['admin']['dead-letters']['replay']['$post'], 200>;

export type Contract = [
  // Status codes each route can answer with.
  Expect<Equal<StatusOf<FoyerClient['tasks']['$get']>, 200 | 400 | 401 | 429 | 500 | 503>>,
  Expect<Equal<StatusOf<FoyerClient['tasks']['$post']>, 201 | 400 | 401 | 403 | 409 | 413 | 415 | 429 | 500 | 503>>,
  Expect<Equal<StatusOf<FoyerClient['tasks'][':id']['$patch']>, 200 | 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503>>,
  Expect<Equal<StatusOf<FoyerClient['tasks'][':id']['$delete']>, 200 | 400 | 401 | 403 | 404 | 413 | 429 | 503>>,
  Expect<Equal<StatusOf<FoyerClient['intro-page'][':userId']['$get']>, 200 | 304 | 400 | 401 | 403 | 404 | 429>>,
  Expect<Equal<StatusOf<FoyerClient['users'][':userId']['preferences']['$patch']>, 200 | 400 | 401 | 403 | 404 | 413 | 415 | 429 | 503>>,
  Expect<Equal<StatusOf<FoyerClient['health']['$get']>, 200 | 429 | 503>>,
  Expect<Equal<StatusOf<FoyerClient['admin']['cache']['purge']['$post']>, 200 | 400 | 401 | 403 | 413 | 415 | 429 | 503>>,
  Expect<Equal<StatusOf<FoyerClient['users']['$post']>, 201 | 400 | 401 | 403 | 409 | 415 | 503>>,
  Expect<Equal<StatusOf<FoyerClient['events']['catalog']['$get']>, 200 | 429>>,
  Expect<Equal<StatusOf<FoyerClient['admin']['events']['$get']>, 200 | 401 | 403 | 503>>,
  Expect<Equal<StatusOf<FoyerClient['admin']['dead-letters']['$get']>, 200 | 401 | 403 | 503>>,
  Expect<Equal<StatusOf<FoyerClient['admin']['dead-letters']['replay']['$post']>, 200 | 400 | 401 | 403 | 415 | 503>>,
  // Request bodies.
  Expect<Equal<keyof CreateTask, 'title' | 'priority' | 'dueAt'>>,
  Expect<Equal<CreateTask['priority'], 'low' | 'normal' | 'high' | undefined>>,
  Expect<Equal<PurgeBody['scope'], 'all' | 'user' | 'section'>>,
  Expect<Equal<keyof RegisterUser, 'id' | 'displayName' | 'email' | 'timeZone' | 'locale'>>,
  Expect<Equal<ReplayBody, { ids?: string[] | undefined }>>,
  // Answers.
  Expect<Equal<keyof TaskChange, 'task' | 'event'>>,
  Expect<
    Equal<
      keyof TaskChange['task'],
      'id' | 'title' | 'status' | 'priority' | 'dueAt' | 'snoozedUntil' | 'completedAt' | 'createdAt' | 'updatedAt'
    >
  >,
  Expect<Equal<TaskChange['task']['status'], 'open' | 'done'>>,
  Expect<Equal<keyof UserRegistered, 'user' | 'event'>>,
  Expect<Equal<keyof UserRegistered['user'], 'id' | 'displayName' | 'email' | 'role' | 'timeZone' | 'locale' | 'createdAt'>>,
  Expect<Equal<keyof ReplayResult, 'replayed' | 'skipped' | 'recorded'>>,
  Expect<Equal<keyof IntroPage, 'userId' | 'generatedAt' | 'sections' | 'flags' | 'degraded'>>,
  Expect<Equal<keyof IntroPage['sections'], 'userStatistics' | 'systemOverview' | 'actionableItems' | 'activityFeed' | 'personalization'>>,
  Expect<
    Equal<
      Pick<Problem, 'type' | 'title' | 'status' | 'detail' | 'instance'>,
      { type: string; title: string; status: number; detail: string; instance: string }
    >
  >,
];

export async function callsThatMustNotCompile(): Promise<void> {
  // @ts-expect-error a task needs a title
  await foyer.tasks.$post({ json: { priority: 'high' } });
  // @ts-expect-error priority is low, normal or high
  await foyer.tasks.$post({ json: { title: 'x', priority: 'urgent' } });
  // @ts-expect-error status is open or done
  await foyer.tasks[':id'].$patch({ param: { id: 't1' }, json: { status: 'archived' } });
  // @ts-expect-error the task id is a path param
  await foyer.tasks[':id'].$patch({ json: { status: 'done' } });
  // @ts-expect-error theme is light, dark or system
  await foyer.users[':userId'].preferences.$patch({ param: { userId: 'alice' }, json: { theme: 'sepia' } });
  // @ts-expect-error purge scope is all, user or section
  await foyer.admin.cache.purge.$post({ json: { scope: 'everything' } });
  // @ts-expect-error a user needs a display name
  await foyer.users.$post({ json: { id: 'carol' } });
  // @ts-expect-error replay takes a list of ids
  await foyer.admin['dead-letters'].replay.$post({ json: { ids: 'alice:1' } });
  // @ts-expect-error there is no such route
  await foyer.tasks.$put({ json: { title: 'x' } });
}
