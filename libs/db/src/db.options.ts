export interface DbOptions {
  /** postgresql://user:password@host:port/database */
  url: string;
  /** Connections in this process's pool (pg's default is 10). */
  poolMax?: number;
  /**
   * PostgreSQL cancels a statement of this process that runs longer, and ends a transaction of it
   * left idle inside that long (its locks go with it), in ms; 0 or unset: no limit.
   */
  statementTimeoutMs?: number;
  /** Apply pending migrations before the first query (safe when several replicas start at once). */
  migrate?: boolean;
}

export const DB_OPTIONS = Symbol('DB_OPTIONS');
