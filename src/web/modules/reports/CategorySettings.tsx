/**
 * 事件类别: the two-level category tree with each leaf's department type, priority, time
 * counting and per-stage limits (edited in hours, stored in minutes). Rows are edited in
 * place; 启用 switches at once; new categories through a form.
 */
import { useMemo, useState } from 'react';
import { App, Button, Form, Input, InputNumber, Modal, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { CloseOutlined, EditOutlined, PlusOutlined, SaveOutlined } from '@ant-design/icons';
import { api, ApiError, DEPT_TYPES, PRIORITIES, STAGES, type DeptType, type Priority, type ReportCategory, type Stage, type StageLimits, type TimeMode } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useShowError } from '../../app/feedback';
import { PRIORITY_COLORS, setServerErrors, toHours, useReportCategories } from './report-meta';

interface Row extends ReportCategory {
  children?: Row[];
}

interface EditFields {
  name: string;
  deptType: DeptType | null;
  priority: Priority;
  timeMode: TimeMode;
  limits: Partial<Record<Stage, number | null>>;
}

interface CreateFields extends EditFields {
  code: string;
  parentCode: string | null;
}

/** Default limits of a new leaf, in hours (a working-day case). */
const DEFAULT_HOURS: Record<Stage, number> = { accept: 1, register: 1, dispatch: 1, handle: 16, verify: 4, close: 2 };

function hoursToMinutes(h: Partial<Record<Stage, number | null>>): StageLimits {
  return Object.fromEntries(STAGES.map((s) => [s, Math.max(1, Math.round((h[s] ?? 0) * 60))])) as StageLimits;
}

export function CategorySettings() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const showError = useShowError();
  const cats = useReportCategories();
  const [editing, setEditing] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [toggling, setToggling] = useState<string | null>(null);
  const [form] = Form.useForm<EditFields>();
  const [creating, setCreating] = useState(false);
  const [createForm] = Form.useForm<CreateFields>();

  const rows = useMemo<Row[]>(() => {
    const groups = cats.list.filter((c) => !c.parentCode).sort((a, b) => a.code.localeCompare(b.code));
    return groups.map((g) => ({
      ...g,
      children: cats.list
        .filter((c) => c.parentCode === g.code)
        .sort((a, b) => a.code.localeCompare(b.code))
        .map((c) => ({ ...c })),
    }));
  }, [cats.list]);

  const startEdit = (r: Row) => {
    form.setFieldsValue({
      name: r.name,
      deptType: (r.deptType as DeptType) ?? null,
      priority: r.priority,
      timeMode: r.timeMode,
      limits: Object.fromEntries(STAGES.map((s) => [s, toHours(r.limits?.[s] ?? null)])),
    });
    setEditing(r.code);
  };

  const save = async (r: Row) => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    try {
      await api.reportCategories.update(
        r.code,
        r.parentCode
          ? { name: v.name.trim(), deptType: v.deptType, priority: v.priority, timeMode: v.timeMode, limits: hoursToMinutes(v.limits) }
          : { name: v.name.trim() },
      );
      await cats.refresh();
      setEditing(null);
      message.success(t('common.saved'));
    } catch (e) {
      if (!setServerErrors(form, e, ['name', 'deptType', 'priority', 'timeMode', 'limits'])) showError(e);
    } finally {
      setSaving(false);
    }
  };

  const toggle = async (r: Row, active: boolean) => {
    setToggling(r.code);
    try {
      await api.reportCategories.update(r.code, { active });
      await cats.refresh();
    } catch (e) {
      showError(e);
    } finally {
      setToggling(null);
    }
  };

  const openCreate = () => {
    createForm.resetFields();
    createForm.setFieldsValue({ parentCode: rows[0]?.code ?? null, priority: 'normal', timeMode: 'working', deptType: null, limits: { ...DEFAULT_HOURS } });
    setCreating(true);
  };

  const create = async () => {
    const v = await createForm.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    try {
      const leaf = !!v.parentCode;
      await api.reportCategories.create({
        code: v.code.trim(),
        parentCode: v.parentCode || null,
        name: v.name.trim(),
        deptType: leaf ? v.deptType : null,
        priority: v.priority,
        timeMode: v.timeMode,
        limits: leaf ? hoursToMinutes(v.limits) : null,
      });
      await cats.refresh();
      setCreating(false);
      message.success(t('common.created'));
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) createForm.setFields([{ name: 'code', errors: [e.message] }]);
      else if (!setServerErrors(createForm, e, ['code', 'parentCode', 'name', 'deptType', 'priority', 'timeMode', 'limits'])) showError(e);
    } finally {
      setSaving(false);
    }
  };

  const deptOptions = DEPT_TYPES.map((d) => ({ value: d, label: labels.deptType(lang, d) }));
  const priorityOptions = PRIORITIES.map((p) => ({ value: p, label: labels.priority(lang, p) }));
  const modeOptions = (['working', 'natural'] as const).map((m) => ({ value: m, label: labels.timeMode(lang, m) }));
  const isEditing = (r: Row) => editing === r.code;
  const hourInput = (s: Stage) => (
    <Form.Item name={['limits', s]} noStyle rules={[{ required: true, message: t('common.required') }]}>
      <InputNumber size="small" min={0.05} max={1440} step={0.5} controls={false} style={{ width: 52 }} />
    </Form.Item>
  );

  return (
    <>
      <div className="za-tab-bar">
        <Typography.Text type="secondary">{t('set.limitsHours')}</Typography.Text>
        <Button type="primary" icon={<PlusOutlined />} onClick={openCreate} data-testid="category-create">
          {t('set.newCategory')}
        </Button>
      </div>
      <Form form={form} component={false}>
        <Table<Row>
          size="small"
          bordered
          rowKey="code"
          dataSource={rows}
          pagination={false}
          expandable={{ defaultExpandAllRows: true }}
          key={rows.length ? 'loaded' : 'empty'}
          scroll={{ x: 1100 }}
          data-testid="category-table"
          columns={[
            { title: t('common.code'), dataIndex: 'code', width: 90, render: (v: string) => <span className="za-mono">{v}</span> },
            {
              title: t('common.name'),
              dataIndex: 'name',
              width: 120,
              render: (v: string, r) =>
                isEditing(r) ? (
                  <Form.Item name="name" noStyle rules={[{ required: true, whitespace: true }, { max: 40 }]}>
                    <Input size="small" />
                  </Form.Item>
                ) : r.parentCode ? (
                  v
                ) : (
                  <Typography.Text strong>{v}</Typography.Text>
                ),
            },
            {
              title: t('set.deptType'),
              dataIndex: 'deptType',
              width: 124,
              render: (v: string | null, r) =>
                !r.parentCode ? null : isEditing(r) ? (
                  <Form.Item name="deptType" noStyle rules={[{ required: true }]}>
                    <Select size="small" options={deptOptions} style={{ width: '100%' }} showSearch optionFilterProp="label" />
                  </Form.Item>
                ) : (
                  labels.deptType(lang, v)
                ),
            },
            {
              title: t('rep.priority'),
              dataIndex: 'priority',
              width: 84,
              render: (v: Priority, r) =>
                !r.parentCode ? null : isEditing(r) ? (
                  <Form.Item name="priority" noStyle>
                    <Select size="small" options={priorityOptions} style={{ width: '100%' }} />
                  </Form.Item>
                ) : (
                  <Tag bordered={false} color={PRIORITY_COLORS[v]}>
                    {labels.priority(lang, v)}
                  </Tag>
                ),
            },
            {
              title: t('rep.timeMode'),
              dataIndex: 'timeMode',
              width: 116,
              render: (v: TimeMode, r) =>
                !r.parentCode ? null : isEditing(r) ? (
                  <Form.Item name="timeMode" noStyle>
                    <Select size="small" options={modeOptions} style={{ width: '100%' }} />
                  </Form.Item>
                ) : (
                  labels.timeMode(lang, v)
                ),
            },
            ...STAGES.map((s) => ({
              title: labels.stage(lang, s),
              key: s,
              width: 64,
              align: 'right' as const,
              render: (_: unknown, r: Row) => (!r.parentCode ? null : isEditing(r) ? hourInput(s) : (toHours(r.limits?.[s] ?? null) ?? '—')),
            })),
            {
              title: t('set.active'),
              dataIndex: 'active',
              width: 64,
              align: 'center',
              render: (v: boolean, r) => <Switch size="small" checked={v} loading={toggling === r.code} onChange={(c) => toggle(r, c)} />,
            },
            {
              title: t('common.actions'),
              key: 'actions',
              width: 144,
              fixed: 'right',
              render: (_: unknown, r) =>
                isEditing(r) ? (
                  <Space size={0}>
                    <Button type="link" size="small" icon={<SaveOutlined />} loading={saving} onClick={() => save(r)} data-testid="category-save">
                      {t('common.save')}
                    </Button>
                    <Button type="link" size="small" icon={<CloseOutlined />} onClick={() => setEditing(null)}>
                      {t('common.cancel')}
                    </Button>
                  </Space>
                ) : (
                  <Button type="link" size="small" icon={<EditOutlined />} disabled={!!editing} onClick={() => startEdit(r)} data-testid="category-edit">
                    {t('common.edit')}
                  </Button>
                ),
            },
          ]}
        />
      </Form>

      <Modal open={creating} title={t('set.newCategory')} onCancel={() => setCreating(false)} onOk={create} confirmLoading={saving} okText={t('common.save')} cancelText={t('common.cancel')} width={640} forceRender>
        <Form form={createForm} layout="vertical" requiredMark={false} className="za-form-grid">
          <Form.Item name="parentCode" label={t('set.parent')}>
            <Select options={[{ value: null, label: t('set.parentNone') }, ...rows.map((g) => ({ value: g.code, label: `${g.code} ${g.name}` }))]} />
          </Form.Item>
          <Form.Item name="code" label={t('common.code')} extra={t('set.codeRule')} rules={[{ required: true, pattern: /^\d{2,8}$/, message: t('set.codeRule') }]}>
            <Input className="za-mono" maxLength={8} />
          </Form.Item>
          <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }, { max: 40 }]}>
            <Input />
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.parentCode !== b.parentCode}>
            {({ getFieldValue }) =>
              getFieldValue('parentCode') ? (
                <Form.Item name="deptType" label={t('set.deptType')} rules={[{ required: true, message: t('common.required') }]}>
                  <Select options={deptOptions} showSearch optionFilterProp="label" />
                </Form.Item>
              ) : (
                <div />
              )
            }
          </Form.Item>
          <Form.Item name="priority" label={t('rep.priority')}>
            <Select options={priorityOptions} />
          </Form.Item>
          <Form.Item name="timeMode" label={t('rep.timeMode')}>
            <Select options={modeOptions} />
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.parentCode !== b.parentCode}>
            {({ getFieldValue }) =>
              getFieldValue('parentCode') ? (
                <Form.Item label={t('set.limitsHours')} className="za-span-2">
                  <div className="za-limits">
                    {STAGES.map((s) => (
                      <Form.Item key={s} name={['limits', s]} label={labels.stage(lang, s)} rules={[{ required: true, message: t('common.required') }]} style={{ marginBottom: 0 }}>
                        <InputNumber min={0.05} max={1440} step={0.5} style={{ width: '100%' }} />
                      </Form.Item>
                    ))}
                  </div>
                </Form.Item>
              ) : null
            }
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
