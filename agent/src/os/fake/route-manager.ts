/** In-memory routes for unit tests: the set of routes currently installed. */
import type { OsResult, RouteManager, RouteSpec } from '../ports.ts';

export class FakeRouteManager implements RouteManager {
  readonly routes = new Map<string, RouteSpec>();
  private key = (r: RouteSpec) => `${r.table ?? 254}|${r.to}|${r.metric ?? 0}`;
  async add(r: RouteSpec): Promise<OsResult> {
    this.routes.set(this.key(r), r);
    return { ok: true, value: undefined };
  }
  async remove(r: RouteSpec): Promise<OsResult> {
    this.routes.delete(this.key(r));
    return { ok: true, value: undefined };
  }
  close(): void {}
}
