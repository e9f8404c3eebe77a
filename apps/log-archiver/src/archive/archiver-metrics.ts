import { Injectable } from '@nestjs/common';
import { Counter, Histogram, register } from 'prom-client';

/** Prometheus metrics of the log-archiver (prom-client's default registry, served on /metrics). */
@Injectable()
export class ArchiverMetrics {
  readonly archived = metric(
    'kiln_archiver_logs_archived_total',
    () =>
      new Counter({
        name: 'kiln_archiver_logs_archived_total',
        help: 'Step logs written to object storage, complete or with missing chunks marked',
        labelNames: ['outcome'],
      }),
  );
  readonly bytes = metric(
    'kiln_archiver_bytes_total',
    () => new Counter({ name: 'kiln_archiver_bytes_total', help: 'Bytes of archived step logs' }),
  );
  readonly seconds = metric(
    'kiln_archiver_archive_seconds',
    () =>
      new Histogram({
        name: 'kiln_archiver_archive_seconds',
        help: 'Time to read, write and record one step log',
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      }),
  );
}

// Several app instances share one registry in tests; a metric is registered once per process.
function metric<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}
