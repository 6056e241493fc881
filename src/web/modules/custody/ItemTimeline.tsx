/**
 * The item's whole history as recorded in its hash chain: each step with its time (Beijing),
 * who did it for which agency, the second person, what it carried (places and agencies by
 * name), its number in the chain and the start of its hash.
 */
import { useState } from 'react';
import { Image, Segmented, Space, Tag, Timeline, Tooltip, Typography } from 'antd';
import { TeamOutlined } from '@ant-design/icons';
import { formatTime } from '../../format';
import { custodyUrls, type ItemDetail, type TimelineEntry } from './custody-api';
import { useCustodyI18n, type CKey } from './custody-i18n';
import { fileSize } from './custody-meta';

const COLORS: Record<string, string> = {
  register: 'blue',
  check_in: 'green',
  return: 'green',
  transfer_accept: 'green',
  borrow_approve: 'green',
  disposal_approve: 'green',
  treasury_receipt: 'green',
  borrow_reject: 'red',
  transfer_reject: 'red',
  disposal_reject: 'red',
  evidence_rejected: 'red',
  dispose: 'gray',
  correct: 'orange',
  mark_unrelated: 'orange',
  check_out: 'blue',
};

/** Keys never shown: ids with a named twin, or facts of the item header. */
const HIDDEN = new Set(['caseId', 'centreId', 'holderOrgId', 'seizedBy', 'borrowerId', 'ownerDigest', 'fileIds', 'evidenceId', 'mime']);
const HASH_KEYS = new Set(['sha256', 'declared', 'computed']);
const TIME_KEYS = new Set(['dueAt', 'seizedAt']);
const MONEY_KEYS = new Set(['proceedsCents', 'amountCents', 'valueCents']);
const SEQ_KEYS = new Set(['requestSeq', 'offerSeq']);

function DataRows({ entry, itemId }: { entry: TimelineEntry; itemId: string }) {
  const { t, lang, yuan, wayLabel, typeLabel } = useCustodyI18n();
  const rows: { key: string; label: string; value: React.ReactNode }[] = [];
  for (const [k, v] of Object.entries(entry.data)) {
    if (HIDDEN.has(k) || v === null || v === undefined || v === '') continue;
    const label = t(`d.${k}` as CKey);
    if (label === `d.${k}`) continue;
    let value: React.ReactNode;
    if (k in entry.places) value = entry.places[k] || String(v);
    else if (k in entry.orgs) value = entry.orgs[k] || String(v);
    else if (TIME_KEYS.has(k)) value = formatTime(String(v), lang);
    else if (MONEY_KEYS.has(k)) value = yuan(Number(v));
    else if (SEQ_KEYS.has(k)) value = t('d.seqRef', { n: String(v) });
    else if (k === 'way') value = wayLabel(String(v));
    else if (k === 'size') value = fileSize(Number(v));
    else if (HASH_KEYS.has(k)) value = <span className="za-mono cz-event-hash">{String(v)}</span>;
    else if (k === 'type') value = typeLabel(String(v));
    else if (k === 'ownerKind') value = t(`c.ownerKind.${v}` as CKey);
    else if (k === 'changes' && typeof v === 'object') {
      value = Object.entries(v as Record<string, unknown>)
        .map(([ck, cv]) => `${t(`d.${ck}` as CKey)}：${MONEY_KEYS.has(ck) ? yuan(cv as number | null) : String(cv)}`)
        .join('；');
    } else if (typeof v === 'boolean') value = v ? t('c.yes') : t('c.no');
    else if (typeof v === 'object') value = JSON.stringify(v);
    else value = String(v);
    rows.push({ key: k, label, value });
  }
  const fileIds = Array.isArray(entry.data.fileIds) ? (entry.data.fileIds as string[]) : [];
  if (!rows.length && !fileIds.length) return null;
  return (
    <div className="cz-event-data">
      {rows.map((r) => (
        <div key={r.key} className="cz-event-row">
          <span className="cz-event-key">{r.label}</span>
          <span className="cz-event-val">{r.value}</span>
        </div>
      ))}
      {fileIds.length > 0 && (
        <Image.PreviewGroup>
          <Space size={4} wrap className="cz-event-photos">
            {fileIds.map((f) => (
              <Image key={f} src={custodyUrls.photo(itemId, f)} width={56} height={56} style={{ objectFit: 'cover', borderRadius: 3 }} />
            ))}
          </Space>
        </Image.PreviewGroup>
      )}
    </div>
  );
}

export function ItemTimeline({ item }: { item: ItemDetail }) {
  const { t, lang, eventLabel } = useCustodyI18n();
  const [order, setOrder] = useState<'desc' | 'asc'>('desc');
  const entries = order === 'desc' ? [...item.timeline].reverse() : item.timeline;
  return (
    <div>
      <div className="cz-timeline-bar">
        <Segmented
          size="small"
          value={order}
          onChange={(v) => setOrder(v as 'desc' | 'asc')}
          options={[
            { value: 'desc', label: t('item.newestFirst') },
            { value: 'asc', label: t('item.oldestFirst') },
          ]}
        />
      </div>
      <Timeline
        className="cz-timeline"
        data-testid="item-timeline"
        items={entries.map((e) => {
          const late = Math.abs(new Date(e.recordedAt).getTime() - new Date(e.at).getTime()) > 60_000;
          return {
            key: e.seq,
            color: COLORS[e.type] ?? 'blue',
            children: (
              <div className="cz-event" data-testid="timeline-entry" data-type={e.type} data-seq={e.seq}>
                <div className="cz-event-head">
                  <Typography.Text strong>{eventLabel(e.type, e.label)}</Typography.Text>
                  {e.correctsSeq && <Tag color="orange">{t('item.corrects', { n: e.correctsSeq })}</Tag>}
                  <span className="cz-event-time">{formatTime(e.at, lang)}</span>
                </div>
                <div className="cz-event-who">
                  {e.actor.name}
                  {e.actor.orgName && <span className="cz-event-org"> · {e.actor.orgName}</span>}
                  {e.witness && (
                    <Tag icon={<TeamOutlined />} color="purple" className="cz-witness-tag">
                      {t('item.witness')}：{e.witness.name ?? '—'}
                    </Tag>
                  )}
                </div>
                <DataRows entry={e} itemId={item.id} />
                <div className="cz-event-meta">
                  <span>
                    {t('item.seq')} {e.seq}
                  </span>
                  <Tooltip title={<span className="za-mono">{e.hash}</span>}>
                    <span className="za-mono cz-hash">
                      {t('item.hash')} {e.hash.slice(0, 12)}…
                    </span>
                  </Tooltip>
                  {late && <span>{t('item.recorded', { t: formatTime(e.recordedAt, lang) })}</span>}
                </div>
              </div>
            ),
          };
        })}
      />
    </div>
  );
}
