import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, register } from 'prom-client';

/** Prometheus metrics of this executor (prom-client's default registry, served on /metrics). */
@Injectable()
export class ExecutorMetrics {
  readonly steps = metric(
    'kiln_executor_steps_total',
    () =>
      new Counter({
        name: 'kiln_executor_steps_total',
        help: 'Steps finished, by outcome',
        labelNames: ['status'],
      }),
  );
  readonly stepDuration = metric(
    'kiln_executor_step_duration_seconds',
    () =>
      new Histogram({
        name: 'kiln_executor_step_duration_seconds',
        help: 'Wall time of steps from dispatch to their end, by outcome',
        labelNames: ['status'],
        buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      }),
  );
  readonly running = metric(
    'kiln_executor_running_steps',
    () => new Gauge({ name: 'kiln_executor_running_steps', help: 'Steps running on this executor now' }),
  );
  readonly artifacts = metric(
    'kiln_executor_artifact_files_total',
    () =>
      new Counter({
        name: 'kiln_executor_artifact_files_total',
        help: 'Artifact files handed to the artifact-service, and files refused or failed',
        labelNames: ['result'],
      }),
  );
}

// Several app instances share one registry in tests; a metric is registered once per process.
function metric<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}
