/** Anything a service depends on that can answer "are you there?" (database, NATS, storage). */
export interface ReadinessProbe {
  ping(): Promise<void>;
}

export const READINESS_PROBES = Symbol('READINESS_PROBES');

export interface NamedProbe {
  name: string;
  probe: ReadinessProbe;
}
