import crypto from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Db } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import type { Actor, ActorContext, RequestContext } from '../../platform/http/context.js';
import { AppError, invalid } from '../../platform/http/errors.js';
import * as repo from './core.repository.js';
import { isGridBound, permissionsOf } from './core.policy.js';

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. */
// algorithm 2 is Argon2id in @node-rs/argon2's (const) enum Algorithm.
const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 8;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

export function checkPasswordStrength(field: string, password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw invalid(field, `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (!/[A-Za-z]/.test(password) || !/[^A-Za-z]/.test(password)) {
    throw invalid(field, 'must contain letters and at least one digit or symbol');
  }
}

export function sha256(value: string): string {
  return crypto.createHash('sha256').update(value).digest('hex');
}

function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

export interface AuthSettings {
  sessionTtlHours: number;
  loginMaxFailures: number;
  loginWindowMinutes: number;
}

/** A hash that never matches, verified when the user is unknown so timing does not reveal it. */
let dummyHash: Promise<string> | undefined;

/** The grids a grid-bound user works in; provided by the geo module. */
export type GridScopeLookup = (userId: string) => Promise<string[]>;

export function createAuthService(db: Db, settings: AuthSettings, gridIdsOf: GridScopeLookup) {
  /** The active user with this password; an unknown user costs the same time as a wrong password. */
  async function checkCredentials(username: string, password: string) {
    const found = await repo.findUserByUsername(db, username);
    const stored = found?.active ? await repo.findPasswordHash(db, found.id) : undefined;
    dummyHash ??= hashPassword(randomToken());
    const ok = await verifyPassword(stored ?? (await dummyHash), password);
    return found && stored && ok ? { ok: true as const, ...found } : { ok: false as const, id: found?.id ?? null };
  }

  return {
    /**
     * Checks the password and opens a session. Failures are counted per username and IP;
     * past the limit the login is refused (429) until the window has passed.
     */
    async login(ctx: RequestContext, username: string, password: string, userAgent: string | null) {
      const ip = ctx.ip ?? 'unknown';
      const since = new Date(Date.now() - settings.loginWindowMinutes * 60_000);
      const [byUser, byIp] = await Promise.all([
        repo.countLoginFailures(db, { username, ip }, since),
        repo.countLoginFailures(db, { ip }, since),
      ]);
      if (byUser >= settings.loginMaxFailures || byIp >= settings.loginMaxFailures * 10) {
        throw new AppError('too_many_requests', 'too many failed logins; try again later', {
          retryAfterSeconds: settings.loginWindowMinutes * 60,
        });
      }
      const user = await checkCredentials(username, password);
      if (!user.ok) {
        await db.transaction().execute(async (tx) => {
          await repo.insertLoginFailure(tx, username, ip);
          await recordAudit(tx, ctx, { action: 'auth.login_failed', targetType: 'user', targetId: user?.id ?? null, after: { username } });
        });
        throw new AppError('unauthenticated', 'wrong username or password');
      }
      const sessionToken = randomToken();
      const csrfToken = randomToken();
      await db.transaction().execute(async (tx) => {
        await repo.clearLoginFailures(tx, username, ip);
        await repo.insertSession(tx, {
          id: sha256(sessionToken),
          userId: user.id,
          csrfToken,
          ip: ctx.ip,
          userAgent,
          expiresAt: new Date(Date.now() + settings.sessionTtlHours * 3_600_000),
        });
        const actorCtx = { ...ctx, actor: { userId: user.id, username: user.username, displayName: user.display_name, via: 'session' } as Actor };
        await recordAudit(tx, actorCtx, { action: 'auth.login', targetType: 'user', targetId: user.id });
      });
      return { sessionToken, csrfToken, userId: user.id, maxAgeSeconds: settings.sessionTtlHours * 3600 };
    },
    /**
     * A second person confirms a step with their own password (two-person rule) without
     * signing in. Failures count like failed logins, so the field cannot be used to guess.
     */
    async confirmPerson(ctx: RequestContext, username: string, password: string, field: string) {
      const ip = ctx.ip ?? 'unknown';
      const since = new Date(Date.now() - settings.loginWindowMinutes * 60_000);
      if ((await repo.countLoginFailures(db, { username, ip }, since)) >= settings.loginMaxFailures) {
        throw new AppError('too_many_requests', 'too many failed confirmations; try again later', { retryAfterSeconds: settings.loginWindowMinutes * 60 });
      }
      const user = await checkCredentials(username, password);
      if (!user.ok) {
        await db.transaction().execute(async (tx) => {
          await repo.insertLoginFailure(tx, username, ip);
          await recordAudit(tx, ctx, { action: 'auth.login_failed', targetType: 'user', targetId: user?.id ?? null, after: { username, as: field } });
        });
        throw new AppError('validation_failed', `${field}: wrong username or password`, [{ field, message: 'wrong username or password' }]);
      }
      return { id: user.id, username: user.username, displayName: user.display_name, orgId: user.org_id, roles: user.roles };
    },

    async logout(ctx: ActorContext, sessionToken: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await repo.deleteSession(tx, sha256(sessionToken));
        await recordAudit(tx, ctx, { action: 'auth.logout', targetType: 'user', targetId: ctx.actor.userId });
      });
    },

    /** Resolves a session cookie or bearer token to an actor; undefined when invalid or expired. */
    async resolve(by: { sessionToken: string } | { bearer: string }): Promise<{ actor: Actor; csrfToken: string | null } | undefined> {
      const row =
        'sessionToken' in by ? await repo.findSessionActor(db, sha256(by.sessionToken)) : await repo.findTokenActor(db, sha256(by.bearer));
      if (!row) return undefined;
      const gridIds = isGridBound(row.roles) ? await gridIdsOf(row.id) : null;
      return {
        csrfToken: row.csrf_token,
        actor: {
          userId: row.id,
          username: row.username,
          displayName: row.display_name,
          orgId: row.org_id,
          roles: row.roles,
          permissions: permissionsOf(row.roles),
          scopeOrgId: row.scope_org_id,
          scopePath: row.scope_path,
          gridIds,
          via: 'sessionToken' in by ? 'session' : 'token',
        },
      };
    },

    async changePassword(ctx: ActorContext, currentPassword: string, newPassword: string, keepSessionToken?: string) {
      const stored = await repo.findPasswordHash(db, ctx.actor.userId);
      if (!stored || !(await verifyPassword(stored, currentPassword))) throw invalid('currentPassword', 'is not correct');
      checkPasswordStrength('newPassword', newPassword);
      if (newPassword === currentPassword) throw invalid('newPassword', 'must differ from the current password');
      const passwordHash = await hashPassword(newPassword);
      await db.transaction().execute(async (tx) => {
        await repo.updateUser(tx, ctx.actor.userId, { password_hash: passwordHash });
        await repo.deleteSessionsOfUser(tx, ctx.actor.userId, keepSessionToken ? sha256(keepSessionToken) : undefined);
        await recordAudit(tx, ctx, { action: 'auth.password_changed', targetType: 'user', targetId: ctx.actor.userId });
      });
    },

    /** Creates a bearer token for a machine acting as the user; the secret is shown once. */
    async createToken(ctx: ActorContext, username: string, name: string): Promise<string> {
      const user = await repo.findUserByUsername(db, username);
      if (!user) throw invalid('user', `no user named ${username}`);
      const prefix = randomToken(6);
      const token = `zhian_${prefix}_${randomToken(32)}`;
      await db.transaction().execute(async (tx) => {
        const id = await repo.insertApiToken(tx, { userId: user.id, name, prefix, tokenHash: sha256(token) });
        await recordAudit(tx, ctx, { action: 'token.created', targetType: 'api_token', targetId: id, after: { user: username, name, prefix } });
      });
      return token;
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
