import { z } from 'zod';
import { actorContextOf, contextOf, SESSION_COOKIE, type App } from '../../platform/http/app.js';
import { ZIdParams, errorResponses } from '../../platform/http/schemas.js';
import { attachment, toXlsx, XLSX_MIME } from '../../platform/http/xlsx.js';
import type { AuthService } from './core.auth.js';
import type { CoreService } from './core.service.js';
import * as S from './core.schemas.js';
import { AppError } from '../../platform/http/errors.js';
import { ROLE_LABELS } from './core.policy.js';
import type { Role } from './core.types.js';

const tags = (t: string) => ({ tags: [t] });

export function registerCoreRoutes(app: App, deps: { auth: AuthService; core: CoreService; cookieSecure: boolean }) {
  const { auth, core } = deps;

  async function me(req: Parameters<typeof actorContextOf>[0]) {
    const ctx = actorContextOf(req);
    const u = await core.getSelf(ctx);
    return {
      user: {
        id: u.id,
        username: u.username,
        displayName: u.displayName,
        orgId: u.orgId,
        orgName: u.orgName,
        roles: u.roles,
        permissions: [...ctx.actor.permissions],
      },
      csrfToken: req.csrfToken,
    };
  }

  app.post(
    '/api/v1/auth/login',
    { schema: { ...tags('auth'), summary: '登录 Sign in', body: S.ZLogin, response: { 200: S.ZMe, ...errorResponses } } },
    async (req, reply) => {
      const res = await auth.login(contextOf(req), req.body.username, req.body.password, req.headers['user-agent'] ?? null);
      reply.setCookie(SESSION_COOKIE, res.sessionToken, {
        httpOnly: true,
        sameSite: 'strict',
        secure: deps.cookieSecure,
        path: '/',
        maxAge: res.maxAgeSeconds,
      });
      const resolved = await auth.resolve({ sessionToken: res.sessionToken });
      if (!resolved) throw new AppError('internal', 'session was not created');
      req.actor = resolved.actor;
      req.csrfToken = res.csrfToken;
      return me(req);
    },
  );

  app.post('/api/v1/auth/logout', { schema: { ...tags('auth'), summary: '退出 Sign out' } }, async (req, reply) => {
    const ctx = actorContextOf(req);
    if (req.sessionToken) await auth.logout(ctx, req.sessionToken);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.get('/api/v1/auth/me', { schema: { ...tags('auth'), summary: '当前用户 Current user', response: { 200: S.ZMe } } }, async (req) => me(req));

  app.post(
    '/api/v1/auth/password',
    { schema: { ...tags('auth'), summary: '修改密码 Change password', body: S.ZPasswordChange } },
    async (req, reply) => {
      await auth.changePassword(actorContextOf(req), req.body.currentPassword, req.body.newPassword, req.sessionToken ?? undefined);
      return reply.code(204).send();
    },
  );

  app.get('/api/v1/orgs', { schema: { ...tags('orgs'), summary: '组织机构 Organisations', response: { 200: z.object({ items: z.array(S.ZOrg) }) } } }, async (req) => ({
    items: await core.listOrgs(actorContextOf(req)),
  }));
  app.post('/api/v1/orgs', { schema: { ...tags('orgs'), body: S.ZOrgCreate, response: { 201: S.ZOrg, ...errorResponses } } }, async (req, reply) => {
    reply.code(201);
    return core.createOrg(actorContextOf(req), req.body);
  });
  app.patch('/api/v1/orgs/:id', { schema: { ...tags('orgs'), params: ZIdParams, body: S.ZOrgPatch, response: { 200: S.ZOrg, ...errorResponses } } }, async (req) =>
    core.updateOrg(actorContextOf(req), req.params.id, req.body),
  );

  app.get('/api/v1/users', { schema: { ...tags('users'), querystring: S.ZUserQuery, response: { 200: S.ZUserList } } }, async (req) => {
    const { page, pageSize, ...f } = req.query;
    return core.listUsers(actorContextOf(req), f, { page, pageSize });
  });
  app.get('/api/v1/users/export.xlsx', { schema: { ...tags('users'), querystring: S.ZUserQuery.omit({ page: true, pageSize: true }) } }, async (req, reply) => {
    const { items } = await core.listUsers(actorContextOf(req), req.query, { page: 1, pageSize: 100_000 });
    const buf = await toXlsx(
      '用户',
      [
        { header: '用户名', value: (u) => u.username },
        { header: '姓名', value: (u) => u.displayName },
        { header: '所属机构', width: 30, value: (u) => u.orgName },
        { header: '角色', width: 30, value: (u) => u.roles.map((r) => ROLE_LABELS[r as Role] ?? r).join('、') },
        { header: '手机号（脱敏）', value: (u) => u.phoneMasked },
        { header: '状态', value: (u) => (u.active ? '启用' : '停用') },
      ],
      items,
    );
    return reply.type(XLSX_MIME).header('content-disposition', attachment('用户.xlsx')).send(buf);
  });
  app.get('/api/v1/users/:id', { schema: { ...tags('users'), params: ZIdParams, response: { 200: S.ZUser, ...errorResponses } } }, async (req) =>
    core.getUser(actorContextOf(req), req.params.id),
  );
  app.get(
    '/api/v1/users/:id/contact',
    { schema: { ...tags('users'), summary: '查看完整联系方式（留痕）', params: ZIdParams, response: { 200: z.object({ phone: z.string().nullable() }), ...errorResponses } } },
    async (req) => core.getUserContact(actorContextOf(req), req.params.id),
  );
  app.post('/api/v1/users', { schema: { ...tags('users'), body: S.ZUserCreate, response: { 201: S.ZUser, ...errorResponses } } }, async (req, reply) => {
    reply.code(201);
    return core.createUser(actorContextOf(req), req.body);
  });
  app.patch('/api/v1/users/:id', { schema: { ...tags('users'), params: ZIdParams, body: S.ZUserPatch, response: { 200: S.ZUser, ...errorResponses } } }, async (req) =>
    core.updateUser(actorContextOf(req), req.params.id, req.body),
  );
  app.post('/api/v1/users/:id/reset-password', { schema: { ...tags('users'), params: ZIdParams, body: S.ZResetPassword } }, async (req, reply) => {
    await core.resetPassword(actorContextOf(req), req.params.id, req.body.newPassword);
    return reply.code(204).send();
  });

  app.get(
    '/api/v1/audit',
    { schema: { ...tags('audit'), summary: '审计日志 Audit log', querystring: S.ZAuditQuery, response: { 200: z.object({ items: z.array(S.ZAuditItem), total: z.number() }) } } },
    async (req) => {
      const { page, pageSize, ...f } = req.query;
      return core.searchAudit(actorContextOf(req), f, { page, pageSize });
    },
  );
  app.get('/api/v1/audit/export.xlsx', { schema: { ...tags('audit'), querystring: S.ZAuditQuery.omit({ page: true, pageSize: true }) } }, async (req, reply) => {
    const { items } = await core.searchAudit(actorContextOf(req), req.query, { page: 1, pageSize: 50_000 });
    const fmt = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'medium' });
    const buf = await toXlsx(
      '审计日志',
      [
        { header: '时间', width: 22, value: (a) => fmt.format(new Date(a.at)) },
        { header: '操作人', width: 24, value: (a) => a.actorName },
        { header: 'IP', value: (a) => a.ip },
        { header: '操作', width: 22, value: (a) => a.action },
        { header: '对象类型', value: (a) => a.targetType },
        { header: '对象', width: 38, value: (a) => a.targetId },
        { header: '请求号', width: 38, value: (a) => a.requestId },
        { header: '变更前', width: 40, value: (a) => (a.before == null ? '' : JSON.stringify(a.before)) },
        { header: '变更后', width: 40, value: (a) => (a.after == null ? '' : JSON.stringify(a.after)) },
      ],
      items,
    );
    return reply.type(XLSX_MIME).header('content-disposition', attachment('审计日志.xlsx')).send(buf);
  });
}
