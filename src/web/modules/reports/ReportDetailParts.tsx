/**
 * Pieces of a case shown on the detail page and the mobile task page: photos, timeline,
 * stage table, extensions (request and decide), supervisions, the reporter's contact.
 */
import { useState } from 'react';
import { App, Button, Form, Image, Input, InputNumber, List, Modal, Space, Table, Tag, Timeline, Typography } from 'antd';
import { CheckCircleFilled, CloseCircleFilled, EyeOutlined, MinusCircleOutlined } from '@ant-design/icons';
import { api, type ExtensionRequest, type ReportDetail, type ReportEvent, type ReportPhoto, type ReportStage, type Supervision } from '../../api';
import { labels, useI18n } from '../../i18n';
import { applyFieldErrors, fieldErrors, useShowError } from '../../app/feedback';
import { formatTime } from '../../format';
import { durationText } from './report-meta';

// ---------------------------------------------------------------- photos

export function PhotoGroups({ photos }: { photos: ReportPhoto[] }) {
  const { t } = useI18n();
  const groups = [
    { kind: 'report' as const, title: t('rep.photosReport') },
    { kind: 'result' as const, title: t('rep.photosResult') },
  ];
  if (!photos.length) return <Typography.Text type="secondary">{t('rep.noPhotos')}</Typography.Text>;
  return (
    <Image.PreviewGroup>
      {groups.map((g) => {
        const list = photos.filter((p) => p.kind === g.kind);
        if (!list.length) return null;
        return (
          <div key={g.kind} className="za-photo-group" data-testid={`photos-${g.kind}`}>
            <div className="za-photo-group-title">
              {g.title}（{list.length}）
            </div>
            <Space size={8} wrap>
              {list.map((p) => (
                <Image key={p.id} src={p.url} width={96} height={96} style={{ objectFit: 'cover', borderRadius: 4 }} />
              ))}
            </Space>
          </div>
        );
      })}
    </Image.PreviewGroup>
  );
}

// ---------------------------------------------------------------- timeline

const EVENT_COLORS: Record<string, string> = {
  create: 'blue',
  close: 'green',
  verify: 'green',
  handle: 'green',
  void: 'gray',
  merge: 'gray',
  return: 'orange',
  suspend: 'orange',
  warned: 'orange',
  escalated: 'red',
  supervise: 'red',
  reopen: 'red',
  extension_rejected: 'red',
};

export function CaseTimeline({ events }: { events: ReportEvent[] }) {
  const { t, lang } = useI18n();
  return (
    <Timeline
      className="za-case-timeline"
      data-testid="case-timeline"
      items={[...events].reverse().map((e) => ({
        key: e.id,
        color: EVENT_COLORS[e.action] ?? 'blue',
        children: (
          <div className="za-event">
            <div className="za-event-head">
              <Typography.Text strong>{labels.reportEvent(lang, e.action)}</Typography.Text>
              {e.from && e.to && e.from !== e.to && (
                <Typography.Text type="secondary" className="za-event-status">
                  {labels.reportStatus(lang, e.from)} → {labels.reportStatus(lang, e.to)}
                </Typography.Text>
              )}
            </div>
            {e.note && <div className="za-event-note">{e.note.replace(/^渠道：(\w+)$/, (_m, c: string) => `${t('rep.channel')}：${labels.channel(lang, c)}`)}</div>}
            <div className="za-event-meta">
              {e.actorName ?? '—'} · {formatTime(e.at, lang)}
            </div>
          </div>
        ),
      }))}
    />
  );
}

// ---------------------------------------------------------------- stages

export function StageTable({ stages }: { stages: ReportStage[] }) {
  const { t, lang } = useI18n();
  return (
    <Table<ReportStage>
      size="small"
      rowKey="id"
      pagination={false}
      dataSource={stages}
      scroll={{ x: 720 }}
      data-testid="stage-table"
      columns={[
        { title: t('rep.stageCol'), dataIndex: 'stage', width: 70, render: (s: string) => labels.stage(lang, s) },
        { title: t('rep.stageStarted'), dataIndex: 'startedAt', width: 150, render: (v: string) => formatTime(v, lang) },
        { title: t('rep.stageDeadline'), dataIndex: 'deadline', width: 150, render: (v: string | null) => (v ? formatTime(v, lang) : '—') },
        { title: t('rep.stageFinished'), dataIndex: 'finishedAt', width: 150, render: (v: string | null) => (v ? formatTime(v, lang) : '—') },
        {
          title: t('rep.onTime'),
          dataIndex: 'onTime',
          width: 60,
          align: 'center',
          render: (v: boolean | null, s) =>
            v === true ? (
              <CheckCircleFilled style={{ color: '#16a34a' }} aria-label="✓" />
            ) : v === false ? (
              <CloseCircleFilled style={{ color: '#dc2626' }} aria-label="✗" />
            ) : s.finishedAt ? (
              <MinusCircleOutlined style={{ color: '#94a3b8' }} />
            ) : (
              '—'
            ),
        },
        { title: t('rep.extended'), dataIndex: 'extendedMinutes', width: 90, render: (m: number) => (m ? durationText(m, t) : '—') },
        { title: t('rep.suspendedTime'), dataIndex: 'suspendedMinutes', width: 90, render: (m: number) => (m ? durationText(m, t) : '—') },
      ]}
    />
  );
}

// ---------------------------------------------------------------- extensions

const EXT_COLORS: Record<string, string> = { pending: 'gold', approved: 'green', rejected: 'red' };

/** The extension requests of a case; approvers decide pending ones inline. */
/** What an approver decides on: one extension request of a case. */
export interface ExtensionDecision {
  reportId: string;
  number: string;
  ext: { id: string; stage: string; minutes: number; reason: string };
  approve: boolean;
}

/** Approve or reject an extension request, with an optional note (detail page and supervision board). */
export function ExtensionDecisionModal({ deciding, onClose, onDone }: { deciding: ExtensionDecision | null; onClose: () => void; onDone: (r: ReportDetail) => void }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const showError = useShowError();
  const [note, setNote] = useState('');
  const [saving, setSaving] = useState(false);
  const decide = async () => {
    if (!deciding) return;
    setSaving(true);
    try {
      const r = await api.reports.decideExtension(deciding.reportId, deciding.ext.id, deciding.approve, note.trim() || null);
      message.success(deciding.approve ? t('rep.extApproved') : t('rep.extRejected'));
      setNote('');
      onDone(r);
    } catch (e) {
      showError(e);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal
      open={!!deciding}
      title={`${deciding?.approve ? t('rep.extApprove') : t('rep.extReject')} · ${deciding?.number ?? ''}`}
      onCancel={() => {
        setNote('');
        onClose();
      }}
      onOk={decide}
      okText={deciding?.approve ? t('rep.extApprove') : t('rep.extReject')}
      okButtonProps={{ danger: !deciding?.approve }}
      cancelText={t('common.cancel')}
      confirmLoading={saving}
    >
      {deciding && (
        <Typography.Paragraph>
          {labels.stage(lang, deciding.ext.stage)} +{durationText(deciding.ext.minutes, t)}：{deciding.ext.reason}
        </Typography.Paragraph>
      )}
      <Input.TextArea rows={2} maxLength={500} placeholder={t('rep.extDecisionNote')} value={note} onChange={(e) => setNote(e.target.value)} />
    </Modal>
  );
}

export function ExtensionList({ report, canApprove, onChanged }: { report: ReportDetail; canApprove: boolean; onChanged: (r: ReportDetail) => void }) {
  const { t, lang } = useI18n();
  const [deciding, setDeciding] = useState<ExtensionDecision | null>(null);
  const ask = (e: ExtensionRequest, approve: boolean) => setDeciding({ reportId: report.id, number: report.number, ext: e, approve });

  if (!report.extensions.length) return <Typography.Text type="secondary">{t('rep.noRecords')}</Typography.Text>;
  return (
    <>
      <List
        size="small"
        dataSource={report.extensions}
        data-testid="extension-list"
        renderItem={(e) => (
          <List.Item
            actions={
              canApprove && e.status === 'pending'
                ? [
                    <Button
                      key="ok"
                      size="small"
                      type="primary"
                      onClick={() => ask(e, true)}
                      data-testid="extension-approve"
                    >
                      {t('rep.extApprove')}
                    </Button>,
                    <Button
                      key="no"
                      size="small"
                      danger
                      onClick={() => ask(e, false)}
                      data-testid="extension-reject"
                    >
                      {t('rep.extReject')}
                    </Button>,
                  ]
                : undefined
            }
          >
            <List.Item.Meta
              title={
                <Space size={6} wrap>
                  <Tag bordered={false} color={EXT_COLORS[e.status]}>
                    {labels.extensionStatus(lang, e.status)}
                  </Tag>
                  <span>
                    {labels.stage(lang, e.stage)} +{durationText(e.minutes, t)}
                  </span>
                </Space>
              }
              description={
                <>
                  <div>{e.reason}</div>
                  <div className="za-event-meta">
                    {e.requestedBy ?? '—'} · {formatTime(e.createdAt, lang)}
                    {e.decidedBy && ` · ${e.decidedBy} ${labels.extensionStatus(lang, e.status)}${e.decisionNote ? `：${e.decisionNote}` : ''}`}
                  </div>
                </>
              }
            />
          </List.Item>
        )}
      />
      <ExtensionDecisionModal
        deciding={deciding}
        onClose={() => setDeciding(null)}
        onDone={(r) => {
          setDeciding(null);
          onChanged(r);
        }}
      />
    </>
  );
}

/** The handler's request for more time: hours and a reason. */
export function ExtensionForm({ reportId, onDone, size }: { reportId: string; onDone: () => void; size?: 'large' }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const showError = useShowError();
  const [form] = Form.useForm<{ hours: number; reason: string }>();
  const [saving, setSaving] = useState(false);
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    try {
      await api.reports.requestExtension(reportId, Math.round(v.hours * 60), v.reason.trim());
      message.success(t('rep.extRequested'));
      form.resetFields();
      onDone();
    } catch (e) {
      // The server names "minutes"; the form asks for hours.
      const minutes = fieldErrors(e, ['minutes'])[0];
      if (minutes) form.setFields([{ name: 'hours', errors: minutes.errors }]);
      else if (!applyFieldErrors(form, e, ['reason'])) showError(e);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Form form={form} layout="vertical" requiredMark={false} data-testid="extension-form" initialValues={{ hours: 8 }}>
      <Form.Item name="hours" label={t('rep.extHours')} rules={[{ required: true, message: t('common.required') }]}>
        <InputNumber min={0.25} max={720} step={1} style={{ width: '100%' }} size={size} data-testid="extension-hours" />
      </Form.Item>
      <Form.Item name="reason" label={t('rep.extReason')} rules={[{ required: true, whitespace: true, message: t('common.required') }, { max: 500 }]}>
        <Input.TextArea rows={2} maxLength={500} data-testid="extension-reason" />
      </Form.Item>
      <Button type="primary" onClick={submit} loading={saving} block={size === 'large'} size={size} data-testid="extension-submit">
        {t('rep.extRequest')}
      </Button>
    </Form>
  );
}

// ---------------------------------------------------------------- supervisions

export function SupervisionList({ items }: { items: Supervision[] }) {
  const { t, lang } = useI18n();
  if (!items.length) return <Typography.Text type="secondary">{t('rep.noRecords')}</Typography.Text>;
  return (
    <List
      size="small"
      dataSource={items}
      data-testid="supervision-list"
      renderItem={(s) => (
        <List.Item>
          <List.Item.Meta
            title={
              <Space size={6}>
                <Tag bordered={false} color={s.kind === 'overdue' ? 'red' : 'magenta'}>
                  {s.kind === 'overdue' ? t('rep.supAuto') : t('rep.supManual')}
                </Tag>
                {s.stage && <span>{labels.stage(lang, s.stage)}</span>}
              </Space>
            }
            description={
              <>
                <div>{s.note}</div>
                <div className="za-event-meta">
                  {s.createdBy ?? labels.reportEvent(lang, 'escalated')} · {formatTime(s.createdAt, lang)}
                </div>
              </>
            }
          />
        </List.Item>
      )}
    />
  );
}

// ---------------------------------------------------------------- the reporter

/** Masked name and phone; holders of personal.read may read them whole (audited, confirmed first). */
export function ReporterContact({ report, canRead }: { report: ReportDetail; canRead: boolean }) {
  const { t } = useI18n();
  const { modal } = App.useApp();
  const showError = useShowError();
  const [full, setFull] = useState<{ name: string | null; phone: string | null } | null>(null);
  const [loading, setLoading] = useState(false);
  if (!report.reporterName && !report.reporterPhone) return <span>—</span>;
  const reveal = () =>
    modal.confirm({
      title: t('rep.contactTitle'),
      content: t('rep.contactAudited'),
      okText: t('common.ok'),
      cancelText: t('common.cancel'),
      onOk: async () => {
        setLoading(true);
        try {
          setFull(await api.reports.contact(report.id));
        } catch (e) {
          showError(e);
        } finally {
          setLoading(false);
        }
      },
    });
  return (
    <Space size={6} wrap>
      <span data-testid="reporter-contact">
        {full ? full.name : report.reporterName} <span className="za-mono">{full ? full.phone : report.reporterPhone}</span>
      </span>
      {full ? (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('rep.contactNote')}
        </Typography.Text>
      ) : (
        canRead && (
          <Button size="small" type="link" icon={<EyeOutlined />} loading={loading} onClick={reveal} data-testid="show-contact">
            {t('rep.showContact')}
          </Button>
        )
      )}
    </Space>
  );
}
