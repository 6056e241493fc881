import client from 'prom-client';

/** Prometheus metrics of one process: defaults plus HTTP request durations by route. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'zhian_' });
  const duration = new client.Histogram({
    name: 'zhian_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    contentType: registry.contentType,
    observe(method: string, route: string, status: number, seconds: number) {
      duration.labels(method, route, String(status)).observe(seconds);
    },
    render: () => registry.metrics(),
  };
}
