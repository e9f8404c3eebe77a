import { Injectable } from '@nestjs/common';
import { Counter, register } from 'prom-client';

/** Prometheus metrics of the artifact-service (prom-client's default registry, served on /metrics). */
@Injectable()
export class ArtifactMetrics {
  readonly stored = metric(
    'kiln_artifacts_stored_total',
    () =>
      new Counter({
        name: 'kiln_artifacts_stored_total',
        help: 'Artifact files stored (re-uploads included)',
      }),
  );
  readonly bytes = metric(
    'kiln_artifacts_bytes_total',
    () => new Counter({ name: 'kiln_artifacts_bytes_total', help: 'Bytes of artifact files stored' }),
  );
  readonly expired = metric(
    'kiln_artifacts_expired_total',
    () =>
      new Counter({
        name: 'kiln_artifacts_expired_total',
        help: 'Expired artifact files deleted by the sweeper',
      }),
  );
}

// Several app instances share one registry in tests; a metric is registered once per process.
function metric<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}
