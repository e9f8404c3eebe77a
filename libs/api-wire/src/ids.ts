const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `value` has the form of the ids Kiln hands out (projects, runs, steps, …: UUIDs, any
 * version, as PostgreSQL's uuid type takes them). Checked before an id reaches a query, a path or
 * a container name.
 */
export function isUuid(value: unknown): boolean {
  return typeof value === 'string' && UUID.test(value);
}
