/** A user id: also checked outside the worker (`npm run token`), so this module imports nothing. */
export const USER_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** What a bad user id is told (the schema's message, also used where it is checked without zod). */
export const USER_ID_MESSAGE = 'a user id is 1-64 lowercase letters, digits, "-" or "_"';
