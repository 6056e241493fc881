/**
 * Field-by-field comparison of an audit row's before and after, with the raw JSON on demand.
 */
import { useState } from 'react';
import { Button, Col, Row, Table, Typography } from 'antd';
import { useI18n } from '../../i18n';

type Json = unknown;

function isPlainObject(v: Json): v is Record<string, Json> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function show(v: Json): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Flattens nested objects to dotted paths so that a change deep inside is visible as one row. */
function flatten(v: Json, prefix = '', out: Record<string, Json> = {}): Record<string, Json> {
  if (isPlainObject(v) && Object.keys(v).length) {
    for (const [k, child] of Object.entries(v)) flatten(child, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = v;
  return out;
}

interface Row {
  field: string;
  before: Json;
  after: Json;
  changed: boolean;
}

export function JsonDiff({ before, after }: { before: Json; after: Json }) {
  const { t } = useI18n();
  const [raw, setRaw] = useState(false);
  const [showAll, setShowAll] = useState(false);
  const objects = (before == null || isPlainObject(before)) && (after == null || isPlainObject(after));

  if (!objects) return <Raw before={before} after={after} />;

  const b = flatten(before ?? {});
  const a = flatten(after ?? {});
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const rows: Row[] = fields.map((field) => ({
    field,
    before: b[field],
    after: a[field],
    changed: JSON.stringify(b[field]) !== JSON.stringify(a[field]),
  }));
  const changed = rows.filter((r) => r.changed);
  const visible = showAll ? rows : changed;

  return (
    <div className="za-diff">
      <div className="za-diff-bar">
        {before != null && after != null && rows.length !== changed.length && (
          <Button size="small" type="link" onClick={() => setShowAll((s) => !s)}>
            {showAll ? t('audit.onlyChanged', { n: changed.length }) : t('audit.allFields', { n: rows.length })}
          </Button>
        )}
        <Button size="small" type="link" onClick={() => setRaw((r) => !r)}>
          {t('audit.raw')}
        </Button>
      </div>
      {visible.length ? (
        <Table<Row>
          size="small"
          rowKey="field"
          pagination={false}
          dataSource={visible}
          rowClassName={(r) => (r.changed ? 'za-diff-changed' : '')}
          columns={[
            { title: t('audit.field'), dataIndex: 'field', width: 200, render: (v: string) => <span className="za-mono">{v}</span> },
            {
              title: t('audit.before'),
              dataIndex: 'before',
              render: (v: Json, r) => <span className={r.changed && v !== undefined ? 'za-diff-del za-mono' : 'za-mono'}>{show(v)}</span>,
            },
            {
              title: t('audit.after'),
              dataIndex: 'after',
              render: (v: Json, r) => <span className={r.changed && v !== undefined ? 'za-diff-add za-mono' : 'za-mono'}>{show(v)}</span>,
            },
          ]}
        />
      ) : (
        <Typography.Text type="secondary">{t('audit.noChange')}</Typography.Text>
      )}
      {raw && <Raw before={before} after={after} />}
    </div>
  );
}

function Raw({ before, after }: { before: Json; after: Json }) {
  const { t } = useI18n();
  return (
    <Row gutter={12} style={{ marginTop: 8 }}>
      <Col span={12}>
        <div className="za-diff-label">{t('audit.before')}</div>
        <pre className="za-json">{before === undefined || before === null ? '—' : JSON.stringify(before, null, 2)}</pre>
      </Col>
      <Col span={12}>
        <div className="za-diff-label">{t('audit.after')}</div>
        <pre className="za-json">{after === undefined || after === null ? '—' : JSON.stringify(after, null, 2)}</pre>
      </Col>
    </Row>
  );
}
