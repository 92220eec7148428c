/** Shapes the dashboard reads from the /v1 API (see /openapi.json) and hands between its modules. */
import type { Live } from './live.js';

/** What `h()` accepts as children. */
export type Child = string | number | Node | null | undefined | false | Child[];

export interface Session {
  tokenId: string;
  name: string;
  role: 'viewer' | 'operator' | 'admin';
  site: { id: string; name: string } | null;
  tokenExpiresAt: string | null;
  via: 'cookie' | 'bearer';
  csrf: string | null;
}

export interface AppContext {
  session: Session;
  live: Live;
  /** Whether this session may act on a site (operator role or more, and the site in scope). */
  canOperate(siteId: string): boolean;
  /** Shows a result line in the page's status region. */
  notify(message: string, kind?: 'ok' | 'error'): void;
  /** Reports a failed request: a 401 ends the session (sign-in form), anything else is shown. */
  fail(e: unknown, what: string): void;
  /** The hash route's query parameters and a way to change them (the URL only: the view redraws itself). */
  params: URLSearchParams;
  setParams(p: Record<string, string | number | boolean | null | undefined>): void;
}

/** A view: draws into `main`, returns its cleanup. */
export type View = (main: HTMLElement, app: AppContext, arg?: string) => (() => void) | void;

export interface FleetDirector {
  name: string;
  enrolled: boolean;
  lastSeenAt: string | null;
  ageMs: number | null;
  fresh: boolean;
  appliedRevision: number | null;
  drift: boolean;
  rejected: { revision: number; reason: string; at: string } | null;
  maintenance: boolean;
}

export interface FleetMember {
  director: string;
  state: string;
  priority: number | null;
  basePriority: number | null;
  fresh: boolean;
  /** A fresh MASTER report made before another director took over: not counted. */
  superseded: boolean;
}

export interface FleetInstance {
  name: string;
  configured: boolean;
  master: { director: string; priority: number | null; basePriority: number | null; since: string | null } | null;
  masters: string[];
  staleMasters: string[];
  supersededMasters: string[];
  splitBrain: boolean;
  members: FleetMember[];
}

export interface FleetCluster {
  id: string;
  name: string;
  site: { id: string; name: string };
  desiredRevision: number | null;
  problems: string[];
  directors: FleetDirector[];
  instances: FleetInstance[];
}

export interface SplitBrain { siteId: string; site: string; clusterId: string; cluster: string; instance: string; masters: string[] }

export interface FleetMap {
  generatedAt: string;
  freshnessWindowMs: number;
  summary: { sites: number; clusters: number; directors: number; enrolled: number; fresh: number; stale: number; neverSeen: number; drift: number; instances: number; withoutMaster: number; splitBrains: number };
  splitBrains: SplitBrain[];
  sites: { id: string; name: string; clusters: number }[];
  page: { number: number; pages: number; pageSize: number; total: number };
  items: FleetCluster[];
}
