import { eq, sql } from 'drizzle-orm';
import { preferences, users } from '../../drizzle/schema';
import type { Database } from '../db/client';
import { ConflictError } from '../errors';
import { outboxStatement } from '../events/outbox';
import type { RegisteredUser, RegisterUser } from '../schemas/users';
import { appendEvent, eventFromRow } from './activity';
import type { Change } from './tasks';

/**
 * `users.email` is NOT NULL and unique (0000_init); a user registered without an address gets
 * one under the reserved `.invalid` TLD (RFC 2606) that can never reach anyone.
 */
export const placeholderEmail = (id: string) => `${id}@users.foyer.invalid`;

/**
 * Registers a user: the user, their preferences, the `user.registered` activity event and its
 * outbox row in one D1 batch (one transaction). An id or email that exists inserts nothing
 * (ON CONFLICT DO NOTHING), and each later statement runs only if the one before changed a
 * row (`changes()`), so a conflict writes nothing at all.
 */
export async function registerUser(db: Database, input: RegisterUser, now = Date.now()): Promise<Change<RegisteredUser>> {
  const timeZone = input.timeZone ?? 'UTC';
  const locale = input.locale ?? 'en-US';
  const [inserted, , [event]] = await db.batch([
    db
      .insert(users)
      .values({
        id: input.id,
        name: input.displayName,
        email: input.email ?? placeholderEmail(input.id),
        timeZone,
        createdAt: new Date(now),
      })
      .onConflictDoNothing()
      .returning(),
    db
      .insert(preferences)
      .select(
        db
          .select({
            userId: users.id,
            theme: sql<string>`'system'`.as('theme'),
            hiddenSections: sql<string>`'[]'`.as('hidden_sections'),
            sectionOrder: sql<string>`'[]'`.as('section_order'),
            locale: sql<string>`${locale}`.as('locale'),
            timeZone: sql<string>`${timeZone}`.as('time_zone'),
            updatedAt: sql<number>`${now}`.as('updated_at'),
          })
          .from(users)
          .where(sql`${eq(users.id, input.id)} and changes() > 0`),
      )
      .onConflictDoNothing(),
    appendEvent(
      db,
      input.id,
      'user.registered',
      { displayName: input.displayName, email: input.email ?? null, timeZone, locale },
      { whenPreviousChanged: true, now },
    ),
    outboxStatement(db, input.id),
  ]);
  const [user] = inserted;
  if (!user || !event) {
    throw new ConflictError(
      `A user with id "${input.id}"${input.email ? ` or email "${input.email}"` : ''} already exists; nothing was written. Pick another id.`,
    );
  }
  return {
    value: {
      id: user.id,
      displayName: user.name,
      email: input.email ?? null,
      role: 'user',
      timeZone,
      locale,
      createdAt: user.createdAt.toISOString(),
    },
    event: eventFromRow(event),
  };
}
