export interface DbOptions {
  /** postgresql://user:password@host:port/database */
  url: string;
  /** Connections in this process's pool (pg's default is 10). */
  poolMax?: number;
  /** Apply pending migrations before the first query (safe when several replicas start at once). */
  migrate?: boolean;
}

export const DB_OPTIONS = Symbol('DB_OPTIONS');
