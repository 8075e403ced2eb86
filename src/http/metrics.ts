import { timingSafeEqual } from 'node:crypto';
import type { Metrics } from '../metrics.ts';
import type { Route } from './server.ts';

/**
 * `GET /metrics` in Prometheus' text format. Nothing in it is secret (no token, tracking ID, channel or
 * user); with METRICS_TOKEN set it also asks for `Authorization: Bearer <token>`.
 */
export function metricsRoute(metrics: Metrics, token: string | undefined): Route {
  const expected = token ? Buffer.from(`Bearer ${token}`) : undefined;
  return {
    path: '/metrics',
    method: 'GET',
    handler: async ({ req, res }) => {
      if (expected) {
        const given = Buffer.from(String(req.headers.authorization ?? ''));
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          res.writeHead(401, { 'www-authenticate': 'Bearer' });
          res.end();
          return;
        }
      }
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
    },
  };
}
