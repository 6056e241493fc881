/** Who is acting and where the request came from; passed explicitly to every service. */
export interface Actor {
  userId: string;
  username: string;
  displayName: string;
  orgId: string;
  roles: string[];
  permissions: ReadonlySet<string>;
  /** Materialised path of the scope organisation; every visible org's path starts with it. */
  scopePath: string;
  scopeOrgId: string;
  /** Grids the actor is limited to; null = no grid restriction. */
  gridIds: string[] | null;
  via: 'session' | 'token' | 'system';
}

export interface RequestContext {
  actor: Actor | null;
  ip: string | null;
  requestId: string | null;
}

/** An authenticated context: services that need an actor take this. */
export interface ActorContext extends RequestContext {
  actor: Actor;
}

/** Context of the CLI and of start-up jobs: acts as the system, sees everything. */
export function systemContext(requestId: string | null = null): ActorContext {
  return {
    ip: null,
    requestId,
    actor: {
      userId: '00000000-0000-0000-0000-000000000000',
      username: 'system',
      displayName: '系统',
      orgId: '',
      roles: ['admin'],
      permissions: new Set(['*']),
      scopePath: '/',
      scopeOrgId: '',
      gridIds: null,
      via: 'system',
    },
  };
}

export function can(actor: Actor, permission: string): boolean {
  return actor.permissions.has('*') || actor.permissions.has(permission);
}
