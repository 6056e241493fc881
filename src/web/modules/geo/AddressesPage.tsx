/**
 * 地址库: match addresses, browse the hierarchy lazily, import a spreadsheet as a job.
 */
import { useCallback, useEffect, useState } from 'react';
import { Breadcrumb, Button, Card, Col, Descriptions, Empty, Input, Row, Space, Spin, Table, Tag, Tree, Typography } from 'antd';
import type { TreeDataNode } from 'antd';
import { DownloadOutlined, EnvironmentOutlined, UploadOutlined, HomeOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { api, type Address, type AddressDetail, type AddressMatch } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { useShowError } from '../../app/feedback';
import { confidenceColor, formatCoord, percent } from '../../format';
import { PageHeader } from '../../components/PageHeader';
import { useAddressMatch } from './address-search';
import { ImportAddressesModal } from './ImportAddressesModal';
import { downloadAddressTemplate } from './address-template';

const CHILD_PAGE = 500;

interface AddrNode extends TreeDataNode {
  key: string;
  address?: Address;
  children?: AddrNode[];
}

export default function AddressesPage() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const showError = useShowError();
  const navigate = useNavigate();
  const [treeData, setTreeData] = useState<AddrNode[]>([]);
  const [treeLoading, setTreeLoading] = useState(true);
  const [treeVersion, setTreeVersion] = useState(0);
  const [expandedKeys, setExpandedKeys] = useState<string[]>([]);
  const [selected, setSelected] = useState<AddressDetail | null>(null);
  const [selectedLoading, setSelectedLoading] = useState(false);
  const [importOpen, setImportOpen] = useState(false);
  const { text, setText, result, loading, search } = useAddressMatch(10);

  const toNodes = useCallback(
    (items: Address[], total: number, parentKey: string): AddrNode[] => {
      const nodes: AddrNode[] = items.map((a) => ({
        key: a.id,
        address: a,
        isLeaf: a.childCount === 0,
        title: (
          <span className="za-tree-title">
            <span>{a.name}</span>
            <Tag bordered={false} className="za-tree-tag">
              {labels.level(lang, a.level)}
            </Tag>
            {a.childCount > 0 && <span className="za-tree-count">{a.childCount}</span>}
          </span>
        ),
      }));
      if (total > items.length) {
        nodes.push({
          key: `${parentKey}::more`,
          isLeaf: true,
          selectable: false,
          disabled: true,
          title: <Typography.Text type="secondary">{t('addr.truncated', { n: items.length, total })}</Typography.Text>,
        });
      }
      return nodes;
    },
    [lang, t],
  );

  useEffect(() => {
    let cancelled = false;
    setTreeLoading(true);
    (async () => {
      const r = await api.addresses.list({ page: 1, pageSize: CHILD_PAGE });
      const roots = toNodes(r.items, r.total, 'root');
      // 省 → 市 → 区县 each have a single child: open that chain down to the streets.
      const opened: string[] = [];
      let level = roots;
      for (let depth = 0; depth < 4 && level.length === 1 && level[0].address && level[0].address.childCount > 0; depth++) {
        const only = level[0];
        const children = await api.addresses.list({ parentId: only.key, page: 1, pageSize: CHILD_PAGE });
        only.children = toNodes(children.items, children.total, only.key);
        opened.push(only.key);
        level = only.children;
      }
      if (cancelled) return;
      setTreeData(roots);
      setExpandedKeys(opened);
    })()
      .catch((e: unknown) => !cancelled && showError(e))
      .finally(() => !cancelled && setTreeLoading(false));
    return () => {
      cancelled = true;
    };
    // Rebuilt after an import, and when the language changes (level labels are in the titles).
  }, [treeVersion, toNodes, showError]);

  const loadChildren = async (node: AddrNode) => {
    if (node.children || !node.address) return;
    try {
      const r = await api.addresses.list({ parentId: node.key, page: 1, pageSize: CHILD_PAGE });
      const children = toNodes(r.items, r.total, node.key);
      setTreeData((prev) => replaceChildren(prev, node.key, children));
    } catch (e) {
      showError(e);
    }
  };

  const open = useCallback(
    async (id: string) => {
      setSelectedLoading(true);
      try {
        setSelected(await api.addresses.get(id));
      } catch (e) {
        showError(e);
      } finally {
        setSelectedLoading(false);
      }
    },
    [showError],
  );

  const matches: (AddressMatch & { best: boolean })[] = result
    ? [...(result.best ? [{ ...result.best, best: true }] : []), ...result.alternatives.map((m) => ({ ...m, best: false }))]
    : [];

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.addresses')}
        extra={
          can('address.write') && (
            <Space>
              <Button icon={<DownloadOutlined />} onClick={downloadAddressTemplate}>
                {t('addr.template')}
              </Button>
              <Button type="primary" icon={<UploadOutlined />} onClick={() => setImportOpen(true)}>
                {t('addr.import')}
              </Button>
            </Space>
          )
        }
      />
      <Row gutter={12}>
        <Col xs={24} lg={9}>
          <Card size="small" title={t('addr.tree')} className="za-fill-card">
            <div className="za-tree-scroll">
              {treeLoading ? (
                <Spin />
              ) : treeData.length ? (
                <Tree<AddrNode>
                  blockNode
                  showLine={{ showLeafIcon: false }}
                  treeData={treeData}
                  loadData={loadChildren}
                  expandedKeys={expandedKeys}
                  onExpand={(keys) => setExpandedKeys(keys.map(String))}
                  onSelect={(keys) => keys[0] && open(String(keys[0]))}
                />
              ) : (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
              )}
            </div>
          </Card>
        </Col>
        <Col xs={24} lg={15}>
          <Card size="small" title={t('addr.search')} style={{ marginBottom: 12 }}>
            <Input.Search
              value={text}
              allowClear
              enterButton={t('common.search')}
              placeholder={t('addr.searchPlaceholder')}
              loading={loading}
              onChange={(e) => {
                setText(e.target.value);
                search(e.target.value);
              }}
              onSearch={(v) => search(v, true)}
            />
            {result && (
              <div className="za-normalized">
                {t('addr.normalized')}: <Typography.Text code>{result.normalized}</Typography.Text>
              </div>
            )}
            <Table<AddressMatch & { best: boolean }>
              size="small"
              rowKey="id"
              style={{ marginTop: 8 }}
              dataSource={matches}
              loading={loading}
              pagination={false}
              locale={{ emptyText: result ? t('map.noMatch') : ' ' }}
              onRow={(r) => ({ onClick: () => open(r.id), style: { cursor: 'pointer' } })}
              columns={[
                {
                  title: t('addr.fullText'),
                  dataIndex: 'fullText',
                  render: (v: string, r) => (
                    <Space size={4}>
                      {r.best && (
                        <Tag color="blue" bordered={false}>
                          {t('map.best')}
                        </Tag>
                      )}
                      <span>{v}</span>
                    </Space>
                  ),
                },
                { title: t('addr.level'), dataIndex: 'level', width: 110, render: (v: string) => labels.level(lang, v) },
                { title: t('addr.grid'), dataIndex: 'gridName', width: 160, render: (v: string | null) => v ?? '—' },
                {
                  title: t('addr.confidence'),
                  dataIndex: 'confidence',
                  width: 90,
                  align: 'right',
                  render: (v: number) => (
                    <Tag color={confidenceColor(v)} bordered={false}>
                      {percent(v)}
                    </Tag>
                  ),
                },
              ]}
            />
          </Card>
          <Card
            size="small"
            title={t('addr.detail')}
            loading={selectedLoading}
            extra={
              selected && (
                <Button
                  size="small"
                  icon={<EnvironmentOutlined />}
                  onClick={() =>
                    navigate('/', {
                      state: {
                        showAddress: {
                          id: selected.id,
                          fullText: selected.fullText,
                          level: selected.level,
                          lng: selected.lng,
                          lat: selected.lat,
                          gridId: selected.gridId,
                          gridName: selected.gridName,
                          confidence: 1,
                        },
                      },
                    })
                  }
                >
                  {t('addr.openOnMap')}
                </Button>
              )
            }
          >
            {selected ? (
              <>
                <Breadcrumb
                  style={{ marginBottom: 8 }}
                  items={[
                    { title: <HomeOutlined /> },
                    ...(selected.ancestors ?? []).map((a) => ({ title: <a onClick={() => open(a.id)}>{a.name}</a> })),
                    { title: selected.name },
                  ]}
                />
                <Descriptions size="small" bordered column={{ xs: 1, md: 2 }}>
                  <Descriptions.Item label={t('addr.fullText')} span={2}>
                    <Typography.Text copyable>{selected.fullText}</Typography.Text>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('addr.level')}>{labels.level(lang, selected.level)}</Descriptions.Item>
                  <Descriptions.Item label={t('addr.grid')}>{selected.gridName ?? '—'}</Descriptions.Item>
                  <Descriptions.Item label={`${t('common.coords')} (WGS-84)`}>{formatCoord(selected.lng, selected.lat)}</Descriptions.Item>
                  <Descriptions.Item label={t('addr.childCount')}>{selected.childCount}</Descriptions.Item>
                  {!!selected.aliases?.length && (
                    <Descriptions.Item label={t('addr.aliases')} span={2}>
                      {selected.aliases.map((a) => (
                        <Tag key={a} bordered={false}>
                          {a}
                        </Tag>
                      ))}
                    </Descriptions.Item>
                  )}
                </Descriptions>
              </>
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('addr.selectHint')} />
            )}
          </Card>
        </Col>
      </Row>
      <ImportAddressesModal
        open={importOpen}
        onClose={(changed) => {
          setImportOpen(false);
          if (changed) setTreeVersion((v) => v + 1);
        }}
      />
    </div>
  );
}

function replaceChildren(nodes: AddrNode[], key: string, children: AddrNode[]): AddrNode[] {
  return nodes.map((n) => {
    if (n.key === key) return { ...n, children };
    if (n.children) return { ...n, children: replaceChildren(n.children, key, children) };
    return n;
  });
}
