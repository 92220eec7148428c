/** Prometheus metrics of one control-plane process (each replica is scraped on its own). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LOOP_RESOLUTION_MS, registerLatenessHistogram, registerLoopDelay } from './loop-delay.ts';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  eventsAppended: Counter<'kind'>;
  agentsConnected: Gauge;
  /** Stops the loop-lateness sampling (a control plane stopping, a test's app closed). */
  close(): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_cp_', eventLoopMonitoringPrecision: LOOP_RESOLUTION_MS });
  const loopDelay = registerLoopDelay(registry, 'vigil_cp_');
  const stopLateness = registerLatenessHistogram(registry, 'vigil_cp_');
  return {
    registry,
    close() {
      loopDelay.disable();
      stopLateness();
    },
    httpRequests: new Counter({ name: 'vigil_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({
      name: 'vigil_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    eventsAppended: new Counter({ name: 'vigil_events_appended_total', help: 'Audit events appended', labelNames: ['kind'], registers: [registry] }),
    agentsConnected: new Gauge({ name: 'vigil_agents_connected', help: 'Agents holding a WebSocket to this replica', registers: [registry] }),
  };
}
