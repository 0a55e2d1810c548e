import { createRoute, z } from '@hono/zod-openapi';
import { replicaDb } from '../db/sessions';
import { authenticated, createApi, jsonContent, problems } from '../http/openapi-app';
import { readPosition, versionHint } from '../http/version-token';
import { authenticate } from '../middleware/authenticate';
import { activityEventSchema } from '../schemas/activity-event';
import { createTaskSchema, listTasksQuerySchema, taskIdParamSchema, taskSchema, toTask, updateTaskSchema } from '../schemas/task';
import { userWrite } from '../services/after-write';
import { createTask, deleteTask, listTasks, MAX_OPEN_TASKS, updateTask } from '../services/tasks';

const changeSchema = z.object({ task: taskSchema, event: activityEventSchema }).openapi('TaskChange');

/** The open-task cap's answer, as the document describes it (the generic 409 says "already exists"). */
const openTaskCap = {
  409: {
    ...problems(409)[409],
    description: `The user already has ${MAX_OPEN_TASKS} open tasks (\`limit\` names the cap); nothing was written`,
  },
};

const api = createApi();
api.use('*', authenticate);

/** Chained, so the app's type carries every route for the `hc` client (AppType in worker/app.ts). */
export const tasksApi = api
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listTasks',
      tags: ['Tasks'],
      summary: "List the caller's tasks",
      security: authenticated,
      request: { query: listTasksQuerySchema },
      responses: {
        200: { description: 'Tasks', ...jsonContent(z.object({ tasks: z.array(taskSchema) })) },
        ...problems(400, 401, 429, 500, 503),
      },
    }),
    async (c) => {
      const { userId } = c.get('principal');
      // The caller's own list: after their write (its bookmark or version came back), on a replica at least that new.
      const rows = await listTasks(replicaDb(c.env, readPosition(c, userId, versionHint(c, userId))), userId, c.req.valid('query'));
      return c.json({ tasks: rows.map(toTask) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createTask',
      tags: ['Tasks'],
      summary: 'Create a task (records task.created)',
      description: `A user has at most ${MAX_OPEN_TASKS} open tasks; one more answers 409 and writes nothing.`,
      security: authenticated,
      request: { body: { required: true, ...jsonContent(createTaskSchema) } },
      responses: {
        201: { description: 'Created', ...jsonContent(changeSchema) },
        ...problems(400, 401, 403, 413, 415, 429, 500, 503),
        ...openTaskCap,
      },
    }),
    async (c) => {
      const { userId } = c.get('principal');
      const input = c.req.valid('json');
      const change = await userWrite(c, userId, 'task.created', (db, now, reads) => createTask(db, userId, input, now, reads));
      return c.json({ task: toTask(change.value), event: change.event }, 201, { Location: `/api/v1/tasks/${change.value.id}` });
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      operationId: 'updateTask',
      tags: ['Tasks'],
      summary: 'Change a task: title, status (done completes it), priority, due date, snooze',
      description: `Reopening (\`status: "open"\`) counts against the cap of ${MAX_OPEN_TASKS} open tasks: 409 at the cap.`,
      security: authenticated,
      request: { params: taskIdParamSchema, body: { required: true, ...jsonContent(updateTaskSchema) } },
      responses: {
        200: { description: 'Updated', ...jsonContent(changeSchema) },
        ...problems(400, 401, 403, 404, 413, 415, 429, 500, 503),
        ...openTaskCap,
      },
    }),
    async (c) => {
      const { userId } = c.get('principal');
      const { id } = c.req.valid('param');
      const patch = c.req.valid('json');
      const change = await userWrite(c, userId, 'task.updated', (db, now, reads) => updateTask(db, userId, id, patch, now, reads));
      return c.json({ task: toTask(change.value), event: change.event }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      operationId: 'deleteTask',
      tags: ['Tasks'],
      summary: 'Delete a task (records task.deleted)',
      security: authenticated,
      request: { params: taskIdParamSchema },
      responses: { 200: { description: 'Deleted', ...jsonContent(changeSchema) }, ...problems(400, 401, 403, 404, 413, 429, 503) },
    }),
    async (c) => {
      const { userId } = c.get('principal');
      const { id } = c.req.valid('param');
      const change = await userWrite(c, userId, 'task.deleted', (db, _now, reads) => deleteTask(db, userId, id, reads));
      return c.json({ task: toTask(change.value), event: change.event }, 200);
    },
  );
