/**
 * 预警详情: what was detected, where (a small map), why (the reason, the value, the rule),
 * the verification task in the reports loop with its deadline, and the outcome recorded on
 * site (属实 / 误报 / 已处置 + note) by whoever holds alert.verify — often a grid worker on
 * a phone, so the page stacks into one column with the outcome right after the facts.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { Alert, App, Button, Card, Col, Descriptions, Grid, Input, Radio, Result, Row, Skeleton, Space, Tag, Typography } from 'antd';
import { ArrowLeftOutlined, CheckCircleOutlined, CloseCircleOutlined, ReloadOutlined, ToolOutlined } from '@ant-design/icons';
import { ApiError, type ReportStatus } from '../../api';
import { labels, useI18n, type TFunc } from '../../i18n';
import { durationText, shortAddress } from '../reports/report-meta';
import { classText } from './DeviceForms';
import { useAuth } from '../../app/auth';
import { useShowError } from '../../app/feedback';
import { useLiveRefresh } from '../../components/liveEvents';
import { formatCoord, formatTime } from '../../format';
import { DeadlineCountdown } from '../reports/DeadlineCountdown';
import { LazyReportMap } from '../reports/ReportMapLazy';
import { alertsApi, OUTCOMES, RECON_KINDS, type Outcome, type WarningDetail } from './alerts-api';
import { LEVEL_HEX, deviceTypeLabel, indicatorLabel, INDICATOR_UNITS, kindLabel, outcomeLabel } from './alerts-meta';
import { LevelTag, WarningStatusTag } from './AlertTags';
import './alerts.css';

/** Keys of `detail` shown in their own rows; the rest are listed as they come. */
const KNOWN_DETAIL = new Set(['reason', 'value', 'at', 'deviceCode', 'deviceName', 'indicator', 'unit', 'level', 'kind', 'addressText', 'addressKey', 'runId', 'asOf']);

function useWarning(id: string | undefined) {
  const showError = useShowError();
  const [warning, setWarning] = useState<WarningDetail | null>(null);
  const [missing, setMissing] = useState(false);
  const seq = useRef(0);
  const load = useCallback(async () => {
    if (!id) return;
    const mine = ++seq.current;
    try {
      const w = await alertsApi.warnings.get(id);
      if (mine === seq.current) setWarning(w);
    } catch (e) {
      if (mine !== seq.current) return;
      if (e instanceof ApiError && e.status === 404) setMissing(true);
      else showError(e);
    }
  }, [id, showError]);
  useEffect(() => {
    setWarning(null);
    setMissing(false);
    void load();
  }, [load]);
  const reportId = warning?.report?.id;
  useLiveRefresh((e) => (e.subjectType === 'alert_warning' && e.subjectId === id) || (!!reportId && e.subjectType === 'report' && e.subjectId === reportId), () => void load(), 500, !!id);
  return { warning, setWarning, missing, reload: load };
}

export default function WarningDetailPage() {
  const { id } = useParams<{ id: string }>();
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const mobile = !screens.md;
  const { warning, setWarning, missing, reload } = useWarning(id);

  if (missing) return <Result status="404" title="404" subTitle={t('page.notFound')} extra={<Link to="/alerts/warnings">{t('nav.alerts.warnings')}</Link>} />;
  if (!warning)
    return (
      <div className="za-page">
        <Skeleton active paragraph={{ rows: 10 }} />
      </div>
    );

  const w = warning;
  const d = w.detail ?? {};
  const unit = typeof d.unit === 'string' ? d.unit : typeof d.indicator === 'string' ? INDICATOR_UNITS[d.indicator] ?? '' : '';
  // Only the facts the console has words for: a raw key would show as English in the page.
  const shownAsValue = w.rule.kind === 'unregistered_resident' ? 'days' : w.rule.kind === 'multi_enterprise' ? 'enterprises' : null;
  const extra = Object.entries(d).filter(([k, v]) => k !== shownAsValue && !KNOWN_DETAIL.has(k) && v !== null && v !== undefined && typeof v !== 'object' && detailLabel(t, k) !== k);
  const recon = RECON_KINDS.includes(w.rule.kind);
  const measured = measuredValue(t, w.rule.kind, d, unit);
  const canVerify = can('alert.verify');

  const what = (
    <Card size="small" title={t('al.what')} className="za-card za-warning-card" style={{ borderTopColor: LEVEL_HEX[w.level] }}>
      <Typography.Paragraph className="za-warning-title" data-testid="warning-title">
        {w.title}
      </Typography.Paragraph>
      {d.reason && (
        <Alert
          type={w.level === 'green' ? 'info' : w.level === 'yellow' ? 'warning' : 'error'}
          showIcon
          message={t('al.why')}
          description={<span data-testid="warning-reason">{String(d.reason)}</span>}
          style={{ marginBottom: 10 }}
        />
      )}
      <Descriptions size="small" bordered column={{ xs: 1, sm: 1, md: 2, lg: 2, xl: 2, xxl: 2 }} styles={{ label: { width: 96 } }}>
        {measured && (
          <Descriptions.Item label={measured.label}>
            <span className="za-warning-value" data-testid="warning-value">
              {measured.text}
            </span>
          </Descriptions.Item>
        )}
        {d.at && <Descriptions.Item label={recon ? t('al.foundAt') : t('al.observedAt')}>{formatTime(String(d.at), lang)}</Descriptions.Item>}
        <Descriptions.Item label={t('al.rule')}>
          {w.rule.name}
          <div className="za-cell-sub">{kindLabel(t, w.rule.kind)}</div>
        </Descriptions.Item>
        {(w.device || d.deviceCode) && (
        <Descriptions.Item label={t('al.device')}>
          {w.device ? (
            <Link to={`/alerts/devices/${w.device.id}`}>
              <span className="za-mono">{w.device.code}</span> {w.device.name}
              <div className="za-cell-sub">{deviceTypeLabel(t, w.device.type)}</div>
            </Link>
          ) : (
            (d.deviceCode as string | undefined) ?? '—'
          )}
        </Descriptions.Item>
        )}
        <Descriptions.Item label={t('al.raisedAt')}>{formatTime(w.raisedAt, lang)}</Descriptions.Item>
        <Descriptions.Item label={t('al.clearedAt')}>{w.clearedAt ? formatTime(w.clearedAt, lang) : <Typography.Text type="secondary">{t('al.notCleared')}</Typography.Text>}</Descriptions.Item>
        {w.householdId && can('household.read') && (
          <Descriptions.Item label={t('al.household')} span={2}>
            <Link to={`/alerts/households?id=${w.householdId}`}>{t('al.openHousehold')}</Link>
          </Descriptions.Item>
        )}
        {extra.map(([k, v]) => (
          <Descriptions.Item key={k} label={detailLabel(t, k)}>
            {String(v)}
          </Descriptions.Item>
        ))}
      </Descriptions>
    </Card>
  );

  const where = (
    <Card size="small" title={t('al.where')} className="za-card" styles={{ body: { padding: 8 } }}>
      <div className="za-where-text" data-testid="warning-address">
        {w.addressText ? shortAddress(w.addressText) : '—'}
        <div className="za-cell-sub">{[w.communityName, w.gridName].filter(Boolean).join(' · ') || t('al.noGrid')}</div>
      </div>
      {w.lng !== null && w.lat !== null ? (
        <>
          <LazyReportMap height={mobile ? 200 : 240} showGrids points={[{ id: w.id, lng: w.lng, lat: w.lat, color: LEVEL_HEX[w.level], title: w.number, lines: [w.title] }]} testId="warning-map" />
          <Typography.Text type="secondary" className="za-coord">
            {formatCoord(w.lng, w.lat)}
          </Typography.Text>
        </>
      ) : (
        <Typography.Text type="secondary">{t('rep.noLocation')}</Typography.Text>
      )}
    </Card>
  );

  const task = (
    <Card size="small" title={t('al.task')} className="za-card" data-testid="warning-task">
      {w.report ? (
        <Space direction="vertical" size={6} style={{ width: '100%' }}>
          <div className="za-task-line">
            <Link to={`/reports/${w.report.id}`} className="za-mono" data-testid="task-link">
              {w.report.number}
            </Link>
            <Tag bordered={false}>{labels.reportStatus(lang, w.report.status)}</Tag>
          </div>
          <div>
            <DeadlineCountdown deadline={w.report.deadline} status={w.report.status as ReportStatus} size={mobile ? 'large' : 'default'} />
          </div>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('al.taskHint')}
          </Typography.Text>
        </Space>
      ) : (
        <Typography.Text type="secondary">{w.status === 'open' ? t('al.taskPending') : t('al.noTask')}</Typography.Text>
      )}
    </Card>
  );

  const outcome = (
    <Card size="small" title={t('al.outcomeTitle')} className="za-card" data-testid="warning-outcome">
      {w.outcome ? (
        <OutcomeResult warning={w} />
      ) : canVerify ? (
        <OutcomeForm warning={w} onDone={setWarning} onConflict={() => void reload()} big={mobile} />
      ) : (
        <Typography.Text type="secondary">{t('al.outcomeNone')}</Typography.Text>
      )}
    </Card>
  );

  return (
    <div className={mobile ? 'za-page za-warning-mobile' : 'za-page'} data-testid="warning-detail" data-status={w.status}>
      <div className="za-detail-head">
        <div className="za-detail-title">
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)} aria-label={t('rep.back')} />
          <h2 className="za-page-title">
            <span className="za-mono" data-testid="warning-number">
              {w.number}
            </span>
          </h2>
          <LevelTag level={w.level} large />
          <WarningStatusTag status={w.status} />
          {!mobile && <Tag bordered={false}>{kindLabel(t, w.rule.kind)}</Tag>}
        </div>
        <Space wrap className="za-detail-actions">
          <Button icon={<ReloadOutlined />} onClick={() => void reload()} aria-label={t('common.refresh')} />
        </Space>
      </div>
      {mobile ? (
        <div>
          {what}
          {outcome}
          {task}
          {where}
        </div>
      ) : (
        <Row gutter={12}>
          <Col xs={24} xl={15}>
            {what}
            {where}
          </Col>
          <Col xs={24} xl={9}>
            {task}
            {outcome}
          </Col>
        </Row>
      )}
    </div>
  );
}

/** The warning's value in words of its kind: a class, a silence, hours without use, days, enterprises. */
function measuredValue(t: TFunc, kind: string, d: WarningDetail['detail'], unit: string): { label: string; text: string } | null {
  const v = d.value;
  if (v === undefined || v === null || typeof v === 'object') return null;
  const n = typeof v === 'number' ? v : Number(v);
  if (Number.isNaN(n)) return { label: t('al.value'), text: String(v) };
  switch (kind) {
    case 'water_quality':
      return { label: t('al.detail.class'), text: t('al.classOf', { c: classText(n) }) };
    case 'no_signal':
      return { label: t('al.detail.silentMinutes'), text: durationText(n, t) };
    case 'no_consumption':
      return { label: t('al.detail.hours'), text: durationText(n * 60, t) };
    case 'unregistered_resident':
      return { label: t('al.detail.days'), text: t('al.daysN', { n }) };
    case 'multi_enterprise':
      return { label: t('al.detail.enterprises'), text: t('al.enterprisesN', { n }) };
    default:
      return { label: typeof d.indicator === 'string' ? indicatorLabel(t, d.indicator) : t('al.value'), text: `${n}${unit ? ` ${unit}` : ''}` };
  }
}

function detailLabel(t: TFunc, key: string): string {
  const text = indicatorLabel(t, key);
  if (text !== key) return text;
  const k = `al.detail.${key}` as Parameters<typeof t>[0];
  const v = t(k);
  return v === k ? key : v;
}

const OUTCOME_ICONS: Record<Outcome, React.ReactNode> = {
  confirmed: <CheckCircleOutlined />,
  false_alarm: <CloseCircleOutlined />,
  handled: <ToolOutlined />,
};

/** The finding on site: three big choices and a note; the task moves to 处置 with it. */
function OutcomeForm({ warning, onDone, onConflict, big }: { warning: WarningDetail; onDone: (w: WarningDetail) => void; onConflict: () => void; big: boolean }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const showError = useShowError();
  const [choice, setChoice] = useState<Outcome | null>(null);
  const [note, setNote] = useState('');
  const [saving, setSaving] = useState(false);
  const [missingNote, setMissingNote] = useState(false);

  const submit = async () => {
    if (!choice) return;
    // A false alarm needs its reason, or nobody can tune the rule afterwards.
    if (choice === 'false_alarm' && !note.trim()) {
      setMissingNote(true);
      return;
    }
    setSaving(true);
    try {
      const w = await alertsApi.warnings.outcome(warning.id, choice, note.trim() || null);
      message.success(t('al.outcomeSaved', { outcome: outcomeLabel(t, choice) }));
      onDone(w);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        message.warning(t('al.alreadyVerified'));
        onConflict();
      } else showError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="za-outcome-form">
      <Typography.Text type="secondary" className="za-outcome-hint">
        {t('al.outcomeHint')}
      </Typography.Text>
      <Radio.Group value={choice} onChange={(e) => setChoice(e.target.value as Outcome)} className={big ? 'za-outcome-choices za-outcome-big' : 'za-outcome-choices'} buttonStyle="solid" optionType="button">
        {OUTCOMES.map((o) => (
          <Radio.Button key={o} value={o} className={`za-outcome-${o}`}>
            <span data-testid={`outcome-${o}`}>
              {OUTCOME_ICONS[o]} {outcomeLabel(t, o)}
            </span>
          </Radio.Button>
        ))}
      </Radio.Group>
      {choice && <div className="za-outcome-explain">{t(`al.outcomeExplain.${choice}`)}</div>}
      <Input.TextArea
        value={note}
        onChange={(e) => {
          setNote(e.target.value);
          setMissingNote(false);
        }}
        status={missingNote ? 'error' : undefined}
        placeholder={choice === 'false_alarm' ? t('al.notePlaceholderFalse') : t('al.notePlaceholder')}
        autoSize={{ minRows: 3, maxRows: 6 }}
        maxLength={1000}
        showCount
        data-testid="outcome-note"
      />
      {missingNote && <div className="za-field-error">{t('al.noteRequired')}</div>}
      <Button type="primary" block size={big ? 'large' : 'middle'} className={big ? 'za-big-button' : undefined} disabled={!choice} loading={saving} onClick={submit} data-testid="outcome-submit">
        {t('al.outcomeSubmit')}
      </Button>
    </div>
  );
}

function OutcomeResult({ warning }: { warning: WarningDetail }) {
  const { t, lang } = useI18n();
  const o = warning.outcome!;
  const tone = o.outcome === 'false_alarm' ? 'za-outcome-result-false' : o.outcome === 'handled' ? 'za-outcome-result-handled' : 'za-outcome-result-confirmed';
  return (
    <div className={`za-outcome-result ${tone}`} data-testid="outcome-result" data-outcome={o.outcome}>
      <div className="za-outcome-result-head">
        {OUTCOME_ICONS[o.outcome]}
        <span>{outcomeLabel(t, o.outcome)}</span>
      </div>
      {o.note && <div className="za-outcome-result-note">{o.note}</div>}
      {o.at && <div className="za-cell-sub">{t('al.recordedAt', { t: formatTime(o.at, lang) })}</div>}
    </div>
  );
}
