import { Pool } from 'pg';

/** An executor's row as its heartbeat states it. */
export interface ExecutorHeartbeatRow {
  id: string;
  backend: string;
  hostname: string;
  capacity: number;
  running: number;
  runningSteps: string[];
  version: string;
  startedAt: Date;
  lastHeartbeatAt: Date;
}

/**
 * Inserts the executor, or updates its row when this heartbeat is newer than the one stored: an old
 * heartbeat delivered late must not move `last_heartbeat_at` backwards. One statement on the pg pool
 * (Prisma took an `updateMany` and, for a new executor, an `upsert`): heartbeats arrive every few
 * seconds from start, and no Prisma query should load its query compiler into a scheduler at rest.
 * Dates are stored as `timestamp(3)` holding UTC, right whatever the session's zone.
 */
const STORE_HEARTBEAT = {
  name: 'kiln-executors-heartbeat',
  text: `INSERT INTO executors (id, backend, hostname, capacity, running, running_steps, version, started_at, last_heartbeat_at)
    VALUES ($1::text, $2::text, $3::text, $4::int, $5::int, $6::text[], $7::text,
      $8::timestamptz AT TIME ZONE 'UTC', $9::timestamptz AT TIME ZONE 'UTC')
    ON CONFLICT (id) DO UPDATE SET backend = EXCLUDED.backend, hostname = EXCLUDED.hostname,
      capacity = EXCLUDED.capacity, running = EXCLUDED.running, running_steps = EXCLUDED.running_steps,
      version = EXCLUDED.version, started_at = EXCLUDED.started_at, last_heartbeat_at = EXCLUDED.last_heartbeat_at
    WHERE executors.last_heartbeat_at < EXCLUDED.last_heartbeat_at`,
};

export async function storeHeartbeat(pool: Pool, row: ExecutorHeartbeatRow): Promise<void> {
  const values = [
    row.id, row.backend, row.hostname, row.capacity, row.running, row.runningSteps, row.version,
    row.startedAt.toISOString(), row.lastHeartbeatAt.toISOString(),
  ];
  await pool.query({ ...STORE_HEARTBEAT, values });
}
