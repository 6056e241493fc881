/**
 * 分拨规则: which organisation receives the cases of a category (or of a department type),
 * in the whole district or in one street or community. The most specific rule wins.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Form, Input, Modal, Popconfirm, Radio, Select, Table, Tag, TreeSelect } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { api, DEPT_TYPES, type DeptType, type Org, type RoutingRule } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useShowError } from '../../app/feedback';
import { buildOrgTree, useOrgs, type OrgTreeNode } from '../core/org-tree';
import { categoryTree, setServerErrors, useReportCategories } from './report-meta';

interface Fields {
  by: 'category' | 'deptType';
  categoryCode?: string;
  deptType?: DeptType;
  areaOrgId?: string;
  targetOrgId: string;
  note?: string;
}

interface Node {
  value: string;
  title: string;
  disabled?: boolean;
  children?: Node[];
}

/** Org tree for TreeSelect with only some kinds selectable (others stay as branches). */
function orgNodes(orgs: Org[], selectable: (o: Org) => boolean, keep: (o: Org) => boolean): Node[] {
  const map = (n: OrgTreeNode): Node | null => {
    const children = n.children.map(map).filter((c): c is Node => !!c);
    if (!keep(n.org) && !children.length) return null;
    return { value: n.org.id, title: n.org.name, disabled: !selectable(n.org), children: children.length ? children : undefined };
  };
  return buildOrgTree(orgs)
    .map(map)
    .filter((c): c is Node => !!c);
}

export function RoutingRuleSettings() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const showError = useShowError();
  const cats = useReportCategories();
  const { orgs } = useOrgs();
  const [rules, setRules] = useState<RoutingRule[]>([]);
  const [loading, setLoading] = useState(false);
  const [creating, setCreating] = useState(false);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<Fields>();
  const by = Form.useWatch('by', form);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      setRules(await api.routingRules.list());
    } catch (e) {
      showError(e);
    } finally {
      setLoading(false);
    }
  }, [showError]);
  useEffect(() => {
    void load();
  }, [load]);

  const areaTree = useMemo(() => orgNodes(orgs, (o) => o.kind === 'street' || o.kind === 'community', (o) => o.kind !== 'department' && o.kind !== 'agency'), [orgs]);
  const targetTree = useMemo(
    () => orgNodes(orgs, (o) => ['department', 'agency', 'street', 'community'].includes(o.kind), () => true),
    [orgs],
  );
  const catTree = useMemo(() => categoryTree(cats.list), [cats.list]);

  const create = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    try {
      await api.routingRules.create({
        categoryCode: v.by === 'category' ? v.categoryCode : null,
        deptType: v.by === 'deptType' ? v.deptType : null,
        areaOrgId: v.areaOrgId || null,
        targetOrgId: v.targetOrgId,
        note: v.note?.trim() ?? '',
      });
      message.success(t('common.created'));
      setCreating(false);
      void load();
    } catch (e) {
      if (!setServerErrors(form, e, ['categoryCode', 'deptType', 'areaOrgId', 'targetOrgId', 'note'])) showError(e);
    } finally {
      setSaving(false);
    }
  };

  const remove = async (r: RoutingRule) => {
    try {
      await api.routingRules.remove(r.id);
      message.success(t('set.deleted'));
      void load();
    } catch (e) {
      showError(e);
    }
  };

  return (
    <>
      <div className="za-tab-bar">
        <Alert type="info" showIcon message={t('set.ruleHint')} style={{ flex: 1 }} />
        <Button
          type="primary"
          icon={<PlusOutlined />}
          onClick={() => {
            form.resetFields();
            form.setFieldsValue({ by: 'category' });
            setCreating(true);
          }}
          data-testid="rule-create"
        >
          {t('set.newRule')}
        </Button>
      </div>
      <Table<RoutingRule>
        size="small"
        bordered
        rowKey="id"
        loading={loading}
        dataSource={rules}
        pagination={false}
        data-testid="rule-table"
        columns={[
          {
            title: t('set.matchBy'),
            key: 'match',
            render: (_: unknown, r) =>
              r.categoryCode ? (
                <span>
                  <Tag bordered={false} color="cyan">
                    {t('set.byCategory')}
                  </Tag>
                  {r.categoryCode} {cats.name(r.categoryCode)}
                </span>
              ) : (
                <span>
                  <Tag bordered={false} color="purple">
                    {t('set.byDeptType')}
                  </Tag>
                  {labels.deptType(lang, r.deptType)}
                </span>
              ),
          },
          { title: t('set.areaOrg'), dataIndex: 'areaName', render: (v: string | null) => v ?? t('set.areaAll') },
          { title: t('set.targetOrg'), dataIndex: 'targetName' },
          { title: t('set.note'), dataIndex: 'note', ellipsis: true },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 116,
            render: (_: unknown, r) => (
              <Popconfirm title={t('set.deleteRuleConfirm')} okText={t('common.ok')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }} onConfirm={() => remove(r)}>
                <Button type="link" size="small" danger icon={<DeleteOutlined />} data-testid="rule-delete">
                  {t('set.deleteRule')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      <Modal open={creating} title={t('set.newRule')} onCancel={() => setCreating(false)} onOk={create} confirmLoading={saving} okText={t('common.save')} cancelText={t('common.cancel')} width={560} forceRender>
        <Form form={form} layout="vertical" requiredMark={false}>
          <Form.Item name="by" label={t('set.matchBy')}>
            <Radio.Group optionType="button">
              <Radio.Button value="category">{t('set.byCategory')}</Radio.Button>
              <Radio.Button value="deptType">{t('set.byDeptType')}</Radio.Button>
            </Radio.Group>
          </Form.Item>
          {by === 'deptType' ? (
            <Form.Item name="deptType" label={t('set.deptType')} rules={[{ required: true, message: t('common.required') }]}>
              <Select showSearch optionFilterProp="label" options={DEPT_TYPES.map((d) => ({ value: d, label: labels.deptType(lang, d) }))} />
            </Form.Item>
          ) : (
            <Form.Item name="categoryCode" label={t('rep.category')} rules={[{ required: true, message: t('common.required') }]}>
              <TreeSelect showSearch treeNodeFilterProp="title" treeData={catTree} popupMatchSelectWidth={320} />
            </Form.Item>
          )}
          <Form.Item name="areaOrgId" label={t('set.areaOrg')}>
            <TreeSelect allowClear showSearch treeNodeFilterProp="title" treeData={areaTree} placeholder={t('set.areaAll')} popupMatchSelectWidth={360} />
          </Form.Item>
          <Form.Item name="targetOrgId" label={t('set.targetOrg')} rules={[{ required: true, message: t('common.required') }]}>
            <TreeSelect showSearch treeNodeFilterProp="title" treeData={targetTree} popupMatchSelectWidth={360} />
          </Form.Item>
          <Form.Item name="note" label={t('set.note')} rules={[{ max: 200 }]}>
            <Input maxLength={200} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
