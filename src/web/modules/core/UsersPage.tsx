/**
 * 用户: accounts, their organisation, roles, data scope and grids. Phone numbers are masked;
 * reading a full number is a separate, audited request.
 */
import { useMemo, useState } from 'react';
import { App, Badge, Button, Dropdown, Form, Input, Modal, Select, Space, Table, Tag, Tooltip, TreeSelect, Typography } from 'antd';
import { DownloadOutlined, EditOutlined, EyeOutlined, KeyOutlined, MoreOutlined, PlusOutlined, StopOutlined, CheckCircleOutlined } from '@ant-design/icons';
import { api, ROLES, type User, type UserQuery } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { applyFieldErrors, useBusy, useShowError } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import type { RemoteOption } from '../../components/RemoteMultiSelect';
import { GridPicker } from '../geo/GridPicker';
import { orgSelectTree, useOrgs } from './org-tree';
import { passwordRules, PHONE_PATTERN, USERNAME_PATTERN } from '../../app/rules';
import { tablePagination, usePagedList } from '../../components/usePagedList';
import { NewPasswordFields } from '../../app/NewPasswordFields';

const ROLE_COLORS: Record<string, string> = {
  admin: 'red',
  command_center: 'volcano',
  dept_staff: 'purple',
  grid_worker: 'blue',
  community_staff: 'cyan',
  auditor: 'gold',
  viewer: 'default',
  case_officer: 'geekblue',
  property_clerk: 'lime',
  custody_leader: 'magenta',
  finance_officer: 'orange',
};

interface UserForm {
  username: string;
  displayName: string;
  phone?: string;
  orgId: string;
  roles: string[];
  password?: string;
  scopeOrgId?: string | null;
  gridIds?: string[];
}

const USER_FIELDS = ['username', 'displayName', 'phone', 'orgId', 'roles', 'password', 'scopeOrgId', 'gridIds'];

export default function UsersPage() {
  const { t, lang } = useI18n();
  const { can, user: me } = useAuth();
  const { message, modal } = App.useApp();
  const showError = useShowError();
  const { busy, run } = useBusy();
  const { orgs } = useOrgs(can('org.read'));
  const orgTree = useMemo(() => orgSelectTree(orgs), [orgs]);

  const [query, setQuery] = useState<UserQuery>({ page: 1, pageSize: 20 });
  const [keyword, setKeyword] = useState('');
  const [version, setVersion] = useState(0);
  const [revealed, setRevealed] = useState<Record<string, string>>({});

  const [editing, setEditing] = useState<{ user?: User } | null>(null);
  const [editGrids, setEditGrids] = useState<RemoteOption[]>([]);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<UserForm>();

  const [resetFor, setResetFor] = useState<User | null>(null);
  const [resetForm] = Form.useForm<{ newPassword: string; confirm: string }>();

  const writable = can('user.write');

  const { data, loading } = usePagedList(api.users.list, query, version);

  const reveal = async (u: User) => {
    const r = await run(`phone-${u.id}`, () => api.users.contact(u.id));
    if (r) setRevealed((m) => ({ ...m, [u.id]: r.phone }));
  };

  const openCreate = () => {
    setEditing({});
    setEditGrids([]);
    form.resetFields();
    form.setFieldsValue({ roles: [], gridIds: [], orgId: undefined, scopeOrgId: null });
  };

  const openEdit = async (u: User) => {
    setEditing({ user: u });
    form.resetFields();
    form.setFieldsValue({
      username: u.username,
      displayName: u.displayName,
      phone: '',
      orgId: u.orgId,
      roles: u.roles,
      scopeOrgId: u.scopeOrgId,
      gridIds: u.gridIds ?? [],
    });
    // The user record carries grid ids only; fetch names for the picker's labels.
    const ids = (u.gridIds ?? []).slice(0, 50);
    setEditGrids(ids.map((id) => ({ id, label: id })));
    if (ids.length && can('grid.read')) {
      const found = await Promise.all(ids.map((id) => api.grids.get(id).catch(() => null)));
      setEditGrids(found.map((g, i) => (g ? { id: g.id, label: g.name, hint: g.code } : { id: ids[i], label: ids[i] })));
    }
  };

  const submit = async () => {
    if (!editing) return;
    const v = await form.validateFields();
    setSaving(true);
    try {
      if (!editing.user) {
        await api.users.create({
          username: v.username.trim().toLowerCase(),
          displayName: v.displayName.trim(),
          phone: (v.phone ?? '').trim() || null,
          orgId: v.orgId,
          roles: v.roles,
          password: v.password ?? '',
          scopeOrgId: v.scopeOrgId ?? null,
          gridIds: v.gridIds ?? [],
        });
        message.success(t('common.created'));
      } else {
        const phone = (v.phone ?? '').trim();
        await api.users.update(editing.user.id, {
          displayName: v.displayName.trim(),
          ...(phone ? { phone } : {}),
          orgId: v.orgId,
          roles: v.roles,
          scopeOrgId: v.scopeOrgId ?? null,
          gridIds: v.gridIds ?? [],
        });
        setRevealed((m) => {
          const next = { ...m };
          delete next[editing.user!.id];
          return next;
        });
        message.success(t('common.saved'));
      }
      setEditing(null);
      setVersion((x) => x + 1);
    } catch (e) {
      if (!applyFieldErrors(form, e, USER_FIELDS)) showError(e);
    } finally {
      setSaving(false);
    }
  };

  const setActive = async (u: User, active: boolean) => {
    const r = await run(`active-${u.id}`, () => api.users.update(u.id, { active }));
    if (r) {
      message.success(t('common.saved'));
      setVersion((x) => x + 1);
    }
  };

  const submitReset = async () => {
    if (!resetFor) return;
    const v = await resetForm.validateFields();
    try {
      await api.users.resetPassword(resetFor.id, v.newPassword);
      message.success(t('users.resetDone'));
      setResetFor(null);
    } catch (e) {
      if (!applyFieldErrors(resetForm, e, ['newPassword'])) showError(e);
    }
  };

  const isCreate = editing && !editing.user;

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.users')}
        extra={
          <Space>
            <Button icon={<DownloadOutlined />} loading={busy.xlsx} onClick={() => run('xlsx', () => api.users.exportXlsx(query))}>
              {t('common.exportXlsx')}
            </Button>
            {writable && (
              <Button type="primary" icon={<PlusOutlined />} onClick={openCreate}>
                {t('users.create')}
              </Button>
            )}
          </Space>
        }
      />
      <div className="za-filter-bar">
        <Input.Search
          allowClear
          enterButton
          placeholder={t('users.searchPlaceholder')}
          style={{ width: 260 }}
          value={keyword}
          onChange={(e) => setKeyword(e.target.value)}
          onSearch={(v) => setQuery((q) => ({ ...q, q: v.trim() || undefined, page: 1 }))}
        />
        {orgs.length > 0 && (
          <TreeSelect
            allowClear
            showSearch
            treeNodeFilterProp="title"
            placeholder={t('users.filterOrg')}
            style={{ width: 240 }}
            treeData={orgTree}
            value={query.orgId}
            onChange={(v?: string) => setQuery((q) => ({ ...q, orgId: v || undefined, page: 1 }))}
            popupMatchSelectWidth={320}
          />
        )}
        <Select
          allowClear
          placeholder={t('users.filterRole')}
          style={{ width: 160 }}
          value={query.role}
          options={ROLES.map((r) => ({ value: r, label: labels.role(lang, r) }))}
          onChange={(v?: string) => setQuery((q) => ({ ...q, role: v, page: 1 }))}
        />
        <Button
          onClick={() => {
            setKeyword('');
            setQuery({ page: 1, pageSize: query.pageSize });
          }}
        >
          {t('common.reset')}
        </Button>
      </div>
      <Table<User>
        size="small"
        bordered
        rowKey="id"
        loading={loading}
        dataSource={data.items}
        pagination={tablePagination(query, setQuery, data.total, (n) => t('common.total', { n }))}
        columns={[
          {
            title: t('users.username'),
            dataIndex: 'username',
            width: 190,
            ellipsis: true,
            render: (v: string) => <Typography.Text strong>{v}</Typography.Text>,
          },
          { title: t('users.displayName'), dataIndex: 'displayName', width: 130, ellipsis: true },
          { title: t('users.org'), dataIndex: 'orgName', ellipsis: true },
          {
            title: t('users.roles'),
            dataIndex: 'roles',
            render: (roles: string[]) => (
              <Space size={[2, 2]} wrap>
                {roles.map((r) => (
                  <Tag key={r} color={ROLE_COLORS[r]} bordered={false}>
                    {labels.role(lang, r)}
                  </Tag>
                ))}
              </Space>
            ),
          },
          {
            title: t('users.phone'),
            dataIndex: 'phoneMasked',
            width: 170,
            render: (v: string, u) => (
              <Space size={4}>
                <span className="za-mono">{revealed[u.id] ?? v}</span>
                {can('personal.read') && !revealed[u.id] && v && (
                  <Tooltip title={`${t('users.showPhone')}（${t('users.phoneAudited')}）`}>
                    <Button type="text" size="small" icon={<EyeOutlined />} loading={busy[`phone-${u.id}`]} onClick={() => reveal(u)} aria-label={t('users.showPhone')} />
                  </Tooltip>
                )}
              </Space>
            ),
          },
          {
            title: t('users.active'),
            dataIndex: 'active',
            width: 80,
            render: (a: boolean) => <Badge status={a ? 'success' : 'default'} text={a ? t('users.enabled') : t('users.disabled')} />,
          },
          ...(writable
            ? [
                {
                  title: t('common.actions'),
                  key: 'actions',
                  width: 130,
                  render: (_: unknown, u: User) => (
                    <Space size={0}>
                      <Button type="link" size="small" icon={<EditOutlined />} onClick={() => openEdit(u)}>
                        {t('common.edit')}
                      </Button>
                      <Dropdown
                        trigger={['click']}
                        menu={{
                          items: [
                            { key: 'reset', icon: <KeyOutlined />, label: t('users.resetPassword') },
                            u.active
                              ? { key: 'disable', icon: <StopOutlined />, label: t('users.disable'), danger: true, disabled: u.id === me?.id }
                              : { key: 'enable', icon: <CheckCircleOutlined />, label: t('users.enable') },
                          ],
                          onClick: ({ key }) => {
                            if (key === 'reset') {
                              resetForm.resetFields();
                              setResetFor(u);
                            } else if (key === 'enable') void setActive(u, true);
                            else if (key === 'disable') {
                              modal.confirm({
                                title: t('users.disable'),
                                content: t('users.disableConfirm', { name: u.displayName }),
                                okButtonProps: { danger: true },
                                okText: t('users.disable'),
                                cancelText: t('common.cancel'),
                                onOk: () => setActive(u, false),
                              });
                            }
                          },
                        }}
                      >
                        <Button type="link" size="small" icon={<MoreOutlined />} aria-label={t('users.more')} />
                      </Dropdown>
                    </Space>
                  ),
                },
              ]
            : []),
        ]}
      />

      <Modal
        open={!!editing}
        title={isCreate ? t('users.create') : `${t('users.edit')} · ${editing?.user?.username ?? ''}`}
        onCancel={() => setEditing(null)}
        onOk={submit}
        confirmLoading={saving}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        width={640}
        forceRender
      >
        <Form form={form} layout="vertical" requiredMark={false} className="za-form-grid">
          <Form.Item
            name="username"
            label={t('users.username')}
            rules={[
              { required: true, whitespace: true, message: t('common.required') },
              { pattern: USERNAME_PATTERN, message: t('users.usernameRule') },
            ]}
          >
            <Input disabled={!isCreate} autoComplete="off" />
          </Form.Item>
          <Form.Item name="displayName" label={t('users.displayName')} rules={[{ required: true, whitespace: true, message: t('common.required') }, { max: 50 }]}>
            <Input />
          </Form.Item>
          <Form.Item
            name="phone"
            label={t('users.phone')}
            rules={[{ pattern: PHONE_PATTERN, message: t('users.phoneRule') }]}
          >
            <Input placeholder={editing?.user?.phoneMasked ?? '138xxxxxxxx'} maxLength={11} autoComplete="off" />
          </Form.Item>
          <Form.Item name="orgId" label={t('users.org')} rules={[{ required: true, message: t('common.required') }]}>
            <TreeSelect showSearch treeNodeFilterProp="title" treeData={orgTree} popupMatchSelectWidth={360} />
          </Form.Item>
          <Form.Item name="roles" label={t('users.roles')} rules={[{ required: true, type: 'array', min: 1, message: t('common.required') }]}>
            <Select mode="multiple" options={ROLES.map((r) => ({ value: r, label: labels.role(lang, r) }))} />
          </Form.Item>
          <Form.Item name="scopeOrgId" label={t('users.scopeOrg')} extra={t('users.scopeOrgHint')}>
            <TreeSelect allowClear showSearch treeNodeFilterProp="title" treeData={orgTree} popupMatchSelectWidth={360} />
          </Form.Item>
          <Form.Item name="gridIds" label={t('users.grids')} className="za-span-2">
            <GridPicker initial={editGrids} canSearch={can('grid.read')} placeholder={t('grid.searchPlaceholder')} />
          </Form.Item>
          {isCreate && (
            <Form.Item
              name="password"
              label={t('users.password')}
              extra={t('pwd.rule')}
              rules={passwordRules(t)}
            >
              <Input.Password autoComplete="new-password" />
            </Form.Item>
          )}
        </Form>
      </Modal>

      <Modal
        open={!!resetFor}
        title={`${t('users.resetPassword')} · ${resetFor?.displayName ?? ''}`}
        onCancel={() => setResetFor(null)}
        onOk={submitReset}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        width={420}
        forceRender
      >
        <Form form={resetForm} layout="vertical" requiredMark={false}>
          <NewPasswordFields />
        </Form>
      </Modal>
    </div>
  );
}
