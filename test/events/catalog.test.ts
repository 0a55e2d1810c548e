import { describe, expect, it } from 'vitest';
import eventsDoc from '../../docs/events.md?raw';
import { domainEventSchema, EVENT_TYPES, eventCatalog } from '../../worker/events/catalog';
import { CATALOG_BEGIN, withCatalog } from '../../worker/events/catalog-doc';
import { ACTIVITY_TYPES } from '../../worker/schemas/activity-types';
import { call } from '../helpers/http';

describe('the event catalog', () => {
  it('has at least eight versioned types, one per activity type, each with the envelope', () => {
    expect(EVENT_TYPES.length).toBeGreaterThanOrEqual(8);
    expect([...EVENT_TYPES].sort()).toEqual([...ACTIVITY_TYPES].sort());
    for (const entry of eventCatalog()) {
      const schema = entry.schema as { required: string[]; properties: Record<string, unknown> };
      expect(schema.required).toEqual(expect.arrayContaining(['id', 'type', 'version', 'occurredAt', 'userId', 'seq', 'payload']));
      expect(entry.version).toBe(1);
      expect(entry.consumers.length).toBeGreaterThan(0);
    }
  });

  it('GET /api/v1/events/catalog serves the same JSON Schemas to anyone', async () => {
    const res = await call('/api/v1/events/catalog');
    expect(res.status).toBe(200);
    const body = await res.json<{ events: { type: string; schema: unknown }[] }>();
    expect(body.events).toEqual(JSON.parse(JSON.stringify(eventCatalog())));
  });

  it('validates an event against its type and refuses an unknown version or a wrong payload', () => {
    const event = {
      id: 'alice:7',
      type: 'task.completed',
      version: 1,
      occurredAt: '2026-11-30T10:00:00.000Z',
      userId: 'alice',
      seq: 7,
      payload: { taskId: 't1', changes: ['status'] },
    };
    expect(domainEventSchema.safeParse(event).success).toBe(true);
    expect(domainEventSchema.safeParse({ ...event, version: 2 }).success).toBe(false);
    expect(domainEventSchema.safeParse({ ...event, payload: { changes: 'status' } }).success).toBe(false);
    expect(domainEventSchema.safeParse({ ...event, type: 'task.exploded' }).success).toBe(false);
  });

  it("declares the task's title on every task event: required on task.created, optional after it (old messages lack it)", () => {
    for (const entry of eventCatalog().filter((e) => e.type.startsWith('task.'))) {
      const payload = (entry.schema as { properties: { payload: { properties: Record<string, unknown>; required?: string[] } } }).properties
        .payload;
      expect(payload.properties.title, entry.type).toMatchObject({ type: 'string' });
      expect((payload.required ?? []).includes('title'), entry.type).toBe(entry.type === 'task.created');
    }
    const event = {
      id: 'alice:8',
      type: 'task.deleted',
      version: 1,
      occurredAt: '2026-11-30T10:00:00.000Z',
      userId: 'alice',
      seq: 8,
      payload: { taskId: 't1', title: 'Water the plants' },
    };
    expect(domainEventSchema.safeParse(event).success).toBe(true);
    expect(domainEventSchema.safeParse({ ...event, payload: { taskId: 't1' } }).success).toBe(true);
    expect(domainEventSchema.safeParse({ ...event, payload: { taskId: 't1', title: null } }).success).toBe(false);
  });

  it('docs/events.md holds the catalog generated from the schemas (run npm run events:docs when this fails)', () => {
    expect(eventsDoc).toContain(CATALOG_BEGIN);
    expect(withCatalog(eventsDoc, eventCatalog())).toBe(eventsDoc);
  });

  it('refuses to generate into a document without the markers, saying where they go', () => {
    expect(() => withCatalog('# Events\n', eventCatalog())).toThrow(/catalog markers/);
  });
});
