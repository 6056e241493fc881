/**
 * 组织机构: the district → streets → communities tree, with the departments and agencies.
 */
import { useEffect, useMemo, useState } from 'react';
import { App, Button, Card, Col, Descriptions, Empty, Form, Input, Modal, Row, Select, Space, Spin, Tag, Tree, TreeSelect, Typography } from 'antd';
import type { TreeDataNode } from 'antd';
import { ApartmentOutlined, BankOutlined, EditOutlined, HomeOutlined, PlusOutlined, SafetyOutlined, ShopOutlined } from '@ant-design/icons';
import { api, DEPT_TYPES, ORG_KINDS, type DeptType, type Org, type OrgKind } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { applyFieldErrors, useShowError } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { buildOrgTree, compareOrgs, orgSelectTree, useOrgs, type OrgTreeNode } from './org-tree';
import { ORG_CODE_PATTERN } from '../../app/rules';

const KIND_COLORS: Record<string, string> = {
  district: 'geekblue',
  street: 'blue',
  community: 'cyan',
  department: 'purple',
  agency: 'magenta',
};

function KindIcon({ kind }: { kind: string }) {
  switch (kind) {
    case 'district':
      return <BankOutlined />;
    case 'street':
      return <ApartmentOutlined />;
    case 'community':
      return <HomeOutlined />;
    case 'department':
      return <SafetyOutlined />;
    default:
      return <ShopOutlined />;
  }
}

/** The kind a child of the given parent most likely has. */
function defaultChildKind(parent: Org | undefined): OrgKind {
  if (!parent) return 'district';
  if (parent.kind === 'district') return 'street';
  if (parent.kind === 'street') return 'community';
  return 'department';
}

interface OrgForm {
  parentId?: string | null;
  kind: OrgKind;
  deptType?: DeptType | null;
  code: string;
  name: string;
}

export default function OrgsPage() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const showError = useShowError();
  const { orgs, loading, refresh } = useOrgs(true);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [expanded, setExpanded] = useState<string[]>([]);
  const [modal, setModal] = useState<{ mode: 'create' | 'edit'; org?: Org; parent?: Org } | null>(null);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<OrgForm>();
  const kind = Form.useWatch('kind', form);
  const writable = can('org.write');

  const byId = useMemo(() => new Map(orgs.map((o) => [o.id, o])), [orgs]);
  const tree = useMemo(() => buildOrgTree(orgs), [orgs]);
  const selected = selectedId ? byId.get(selectedId) : undefined;

  // Open the first two levels when the list first arrives.
  useEffect(() => {
    if (expanded.length || !tree.length) return;
    setExpanded(tree.flatMap((r) => [r.org.id]));
    if (!selectedId) setSelectedId(tree[0].org.id);
  }, [tree, expanded.length, selectedId]);

  const { treeData, matchedKeys } = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const matched: string[] = [];
    const toNode = (n: OrgTreeNode): TreeDataNode | null => {
      const children = n.children.map(toNode).filter((c): c is TreeDataNode => !!c);
      const hit = !needle || n.org.name.toLowerCase().includes(needle) || n.org.code.toLowerCase().includes(needle);
      if (needle && hit) matched.push(n.org.id);
      if (!hit && !children.length) return null;
      return {
        key: n.org.id,
        title: (
          <span className="za-tree-title">
            <KindIcon kind={n.org.kind} />
            <span className={needle && hit ? 'za-hit' : undefined}>{n.org.name}</span>
            {n.org.deptType && n.org.kind !== 'community' && (
              <Tag bordered={false} className="za-tree-tag">
                {labels.deptType(lang, n.org.deptType)}
              </Tag>
            )}
          </span>
        ),
        children,
        isLeaf: !children.length,
      };
    };
    return { treeData: tree.map(toNode).filter((c): c is TreeDataNode => !!c), matchedKeys: matched };
  }, [tree, filter, lang]);

  const expandedKeys = useMemo(() => {
    if (!filter.trim()) return expanded;
    // Expand the ancestors of every match.
    const keys = new Set<string>();
    for (const id of matchedKeys) {
      let p = byId.get(id)?.parentId;
      while (p && !keys.has(p)) {
        keys.add(p);
        p = byId.get(p)?.parentId;
      }
    }
    return [...keys];
  }, [filter, expanded, matchedKeys, byId]);

  const openCreate = (parent?: Org) => {
    setModal({ mode: 'create', parent });
    form.resetFields();
    form.setFieldsValue({ parentId: parent?.id ?? null, kind: defaultChildKind(parent), deptType: null, code: parent?.code ?? '', name: '' });
  };
  const openEdit = (org: Org) => {
    setModal({ mode: 'edit', org });
    form.resetFields();
    form.setFieldsValue({ parentId: org.parentId, kind: org.kind, deptType: org.deptType, code: org.code, name: org.name });
  };

  const submit = async () => {
    if (!modal) return;
    const v = await form.validateFields();
    setSaving(true);
    try {
      const needsDept = v.kind === 'department' || v.kind === 'agency' || v.kind === 'community';
      if (modal.mode === 'create') {
        const created = await api.orgs.create({
          parentId: v.parentId!,
          kind: v.kind,
          deptType: needsDept ? (v.deptType ?? (v.kind === 'community' ? 'community' : null)) : null,
          code: v.code.trim(),
          name: v.name.trim(),
        });
        message.success(t('common.created'));
        await refresh();
        setSelectedId(created.id);
        if (created.parentId) setExpanded((e) => [...new Set([...e, created.parentId!])]);
      } else if (modal.org) {
        await api.orgs.update(modal.org.id, { name: v.name.trim(), deptType: needsDept ? (v.deptType ?? null) : undefined });
        message.success(t('common.saved'));
        await refresh();
      }
      setModal(null);
    } catch (e) {
      if (!applyFieldErrors(form, e, ['parentId', 'kind', 'deptType', 'code', 'name'])) showError(e);
    } finally {
      setSaving(false);
    }
  };

  const children = selected ? orgs.filter((o) => o.parentId === selected.id).sort(compareOrgs) : [];
  const showDept = kind === 'department' || kind === 'agency' || kind === 'community';

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.orgs')}
        extra={
          writable && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => openCreate(selected)}>
              {selected ? t('org.createChild') : t('org.createRoot')}
            </Button>
          )
        }
      />
      <Row gutter={12}>
        <Col xs={24} lg={10}>
          <Card size="small" title={t('org.tree')} className="za-fill-card">
            <Input.Search allowClear placeholder={t('org.filter')} value={filter} onChange={(e) => setFilter(e.target.value)} style={{ marginBottom: 8 }} />
            <div className="za-tree-scroll">
              {loading && !orgs.length ? (
                <Spin />
              ) : treeData.length ? (
                <Tree
                  blockNode
                  showLine={{ showLeafIcon: false }}
                  treeData={treeData}
                  expandedKeys={expandedKeys}
                  onExpand={(keys) => !filter.trim() && setExpanded(keys.map(String))}
                  selectedKeys={selectedId ? [selectedId] : []}
                  onSelect={(keys) => keys[0] && setSelectedId(String(keys[0]))}
                />
              ) : (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
              )}
            </div>
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card
            size="small"
            title={selected ? selected.name : t('common.detail')}
            extra={
              selected &&
              writable && (
                <Space>
                  <Button size="small" icon={<EditOutlined />} onClick={() => openEdit(selected)}>
                    {t('common.edit')}
                  </Button>
                  <Button size="small" type="primary" ghost icon={<PlusOutlined />} onClick={() => openCreate(selected)}>
                    {t('org.createChild')}
                  </Button>
                </Space>
              )
            }
          >
            {selected ? (
              <>
                <Descriptions size="small" bordered column={{ xs: 1, md: 2 }}>
                  <Descriptions.Item label={t('common.name')}>{selected.name}</Descriptions.Item>
                  <Descriptions.Item label={t('common.code')}>
                    <Typography.Text code copyable>
                      {selected.code}
                    </Typography.Text>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('org.kind')}>
                    <Tag color={KIND_COLORS[selected.kind]}>{labels.orgKind(lang, selected.kind)}</Tag>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('org.deptType')}>{selected.deptType ? labels.deptType(lang, selected.deptType) : '—'}</Descriptions.Item>
                  <Descriptions.Item label={t('org.parent')}>
                    {selected.parentId ? (
                      <a onClick={() => setSelectedId(selected.parentId)}>{byId.get(selected.parentId)?.name ?? selected.parentId}</a>
                    ) : (
                      '—'
                    )}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('org.children')}>{selected.childCount ?? children.length}</Descriptions.Item>
                </Descriptions>
                {children.length > 0 && (
                  <div style={{ marginTop: 12 }}>
                    <Typography.Text type="secondary">{t('org.childList')}</Typography.Text>
                    <div className="za-chip-list">
                      {children.map((c) => (
                        <Tag key={c.id} color={KIND_COLORS[c.kind]} className="za-chip" onClick={() => setSelectedId(c.id)}>
                          {c.name}
                        </Tag>
                      ))}
                    </div>
                  </div>
                )}
              </>
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('org.selectHint')} />
            )}
          </Card>
        </Col>
      </Row>

      <Modal
        open={!!modal}
        title={modal?.mode === 'edit' ? t('org.edit') : modal?.parent ? `${t('org.createChild')} · ${modal.parent.name}` : t('org.createRoot')}
        onCancel={() => setModal(null)}
        onOk={submit}
        confirmLoading={saving}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        forceRender
      >
        <Form form={form} layout="vertical" requiredMark={false}>
          <Form.Item
            name="parentId"
            label={t('org.parent')}
            rules={modal?.mode === 'create' ? [{ required: true, message: t('org.parentRequired') }] : undefined}
          >
            <TreeSelect
              disabled={modal?.mode === 'edit'}
              showSearch
              treeNodeFilterProp="title"
              treeData={orgSelectTree(orgs)}
              treeDefaultExpandedKeys={modal?.parent ? [modal.parent.id] : undefined}
              placeholder="—"
            />
          </Form.Item>
          <Form.Item name="kind" label={t('org.kind')} rules={[{ required: true, message: t('common.required') }]}>
            <Select disabled={modal?.mode === 'edit'} options={ORG_KINDS.map((k) => ({ value: k, label: labels.orgKind(lang, k) }))} />
          </Form.Item>
          {showDept && (
            <Form.Item name="deptType" label={t('org.deptType')} rules={[{ required: kind === 'department', message: t('common.required') }]}>
              <Select
                allowClear
                showSearch
                optionFilterProp="label"
                options={DEPT_TYPES.map((d) => ({ value: d, label: labels.deptType(lang, d) }))}
              />
            </Form.Item>
          )}
          <Form.Item
            name="code"
            label={t('common.code')}
            extra={modal?.mode === 'create' ? t('org.codeRule') : undefined}
            rules={[
              { required: true, whitespace: true, message: t('common.required') },
              { pattern: ORG_CODE_PATTERN, message: t('org.codeRule') },
            ]}
          >
            <Input disabled={modal?.mode === 'edit'} />
          </Form.Item>
          <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }, { max: 100 }]}>
            <Input />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
