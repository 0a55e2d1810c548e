import { createRoute, z } from '@hono/zod-openapi';
import { replicaDb } from '../db/sessions';
import { authenticated, createApi, jsonContent, problems } from '../http/openapi-app';
import { readPosition, versionHint } from '../http/version-token';
import { authenticate } from '../middleware/authenticate';
import { activityEventSchema } from '../schemas/activity-event';
import { createTaskSchema, listTasksQuerySchema, taskIdParamSchema, taskSchema, toTask, updateTaskSchema } from '../schemas/task';
import { userWrite } from '../services/after-write';
import { createTask, deleteTask, listTasks, updateTask } from '../services/tasks';

const changeSchema = z.object({ task: taskSchema, event: activityEventSchema }).openapi('TaskChange');

const api = createApi();
api.use('*', authenticate);

/** Chained, so the app's type carries every route for the `hc` client (AppType in worker/app.ts). */
export const tasksApi = api
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: "List the caller's tasks",
      security: authenticated,
      request: { query: listTasksQuerySchema },
      responses: {
        200: { description: 'Tasks', ...jsonContent(z.object({ tasks: z.array(taskSchema) })) },
        ...problems(400, 401, 429, 500),
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
      summary: 'Create a task (records task.created)',
      security: authenticated,
      request: { body: { required: true, ...jsonContent(createTaskSchema) } },
      responses: { 201: { description: 'Created', ...jsonContent(changeSchema) }, ...problems(400, 401, 403, 413, 415, 429, 500, 503) },
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
      summary: 'Change a task: title, status (done completes it), priority, due date, snooze',
      security: authenticated,
      request: { params: taskIdParamSchema, body: { required: true, ...jsonContent(updateTaskSchema) } },
      responses: { 200: { description: 'Updated', ...jsonContent(changeSchema) }, ...problems(400, 401, 404, 413, 415, 429, 500, 503) },
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
      summary: 'Delete a task (records task.deleted)',
      security: authenticated,
      request: { params: taskIdParamSchema },
      responses: { 200: { description: 'Deleted', ...jsonContent(changeSchema) }, ...problems(400, 401, 404, 413, 429, 503) },
    }),
    async (c) => {
      const { userId } = c.get('principal');
      const { id } = c.req.valid('param');
      const change = await userWrite(c, userId, 'task.deleted', (db, _now, reads) => deleteTask(db, userId, id, reads));
      return c.json({ task: toTask(change.value), event: change.event }, 200);
    },
  );
