/**
 * The kinds of activity event. Kept free of any import so the browser bundle can use it
 * (through the feed's wire schema) without pulling in the OpenAPI tooling.
 */
export const ACTIVITY_TYPES = [
  'task.created',
  'task.updated',
  'task.completed',
  'task.reopened',
  'task.snoozed',
  'task.deleted',
  'preferences.updated',
  'user.registered',
] as const;
