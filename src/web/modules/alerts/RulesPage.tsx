/**
 * 预警规则: the district's rules with their bounds in words, an enable switch, edit in a
 * drawer (a form per kind), 试运行 over the last 30 days, and 立即比对 for the
 * reconciliation rules.
 */
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Modal, Progress, Result, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { EditOutlined, ExperimentOutlined, PlayCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { useShowError } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../format';
import { shortTime } from '../reports/report-meta';
import { alertsApi, RECON_KINDS, type AlertRule } from './alerts-api';
import { deviceTypeLabel, jobPercent, kindLabel, taskCategoryLabel, useJob } from './alerts-meta';
import { DryRunModal } from './DryRun';
import { paramsSummary, RuleDrawer } from './RuleForm';
import './alerts.css';

export default function RulesPage() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const showError = useShowError();
  const [rules, setRules] = useState<AlertRule[]>([]);
  const [loading, setLoading] = useState(false);
  const [drawer, setDrawer] = useState<{ rule: AlertRule | null } | null>(null);
  const [dryRun, setDryRun] = useState<{ rule: AlertRule; params?: Record<string, unknown> } | null>(null);
  const [running, setRunning] = useState<AlertRule | null>(null);
  const [toggling, setToggling] = useState<string | null>(null);
  const canConfigure = can('alert.configure');

  const load = useCallback(() => {
    setLoading(true);
    alertsApi.rules
      .list()
      .then(setRules, showError)
      .finally(() => setLoading(false));
  }, [showError]);
  useEffect(load, [load]);

  const toggle = async (r: AlertRule, enabled: boolean) => {
    setToggling(r.id);
    try {
      const saved = await alertsApi.rules.update(r.id, { enabled });
      setRules((list) => list.map((x) => (x.id === r.id ? saved : x)));
      message.success(enabled ? t('al.ruleEnabled', { name: r.name }) : t('al.ruleDisabled', { name: r.name }));
    } catch (e) {
      showError(e);
    } finally {
      setToggling(null);
    }
  };

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.alerts.rules')}
        sub={t('al.rulesSub')}
        extra={
          canConfigure && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setDrawer({ rule: null })} data-testid="rule-create">
              {t('al.newRule')}
            </Button>
          )
        }
      />
      <Table<AlertRule>
        size="small"
        bordered
        rowKey="id"
        loading={loading}
        dataSource={rules}
        pagination={false}
        scroll={{ x: 1100 }}
        onRow={(r) => ({ 'data-testid': 'rule-row', 'data-kind': r.kind, 'data-name': r.name }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t('common.name'),
            dataIndex: 'name',
            width: 200,
            render: (v: string, r) => (
              <div>
                <span className="za-rule-name">{v}</span>
                <div className="za-cell-sub">{kindLabel(t, r.kind)}</div>
              </div>
            ),
          },
          {
            title: t('al.bounds'),
            key: 'params',
            render: (_: unknown, r) => <span className="za-rule-params">{paramsSummary(t, r)}</span>,
          },
          {
            title: t('al.appliesTo'),
            key: 'devices',
            width: 150,
            render: (_: unknown, r) =>
              RECON_KINDS.includes(r.kind) ? (
                <span>{t('al.importedData')}</span>
              ) : (
                <span>
                  {deviceTypeLabel(t, r.deviceType)}
                  {r.deviceIds?.length ? <div className="za-cell-sub">{t('al.nDevices', { n: r.deviceIds.length })}</div> : null}
                </span>
              ),
          },
          {
            title: t('al.taskCategory'),
            dataIndex: 'taskCategory',
            width: 180,
            render: (v: string) => (
              <Tag bordered={false} className="za-tag-wrap">
                {taskCategoryLabel(t, v)}
              </Tag>
            ),
          },
          {
            title: t('al.enabled'),
            dataIndex: 'enabled',
            width: 86,
            align: 'center',
            render: (v: boolean, r) => <Switch checked={v} disabled={!canConfigure} loading={toggling === r.id} onChange={(on) => toggle(r, on)} data-testid="rule-enabled" />,
          },
          {
            title: t('al.version'),
            key: 'version',
            width: 132,
            render: (_: unknown, r) => (
              <Tooltip title={formatTime(r.updatedAt, lang)}>
                <span className="za-cell-time za-nowrap">
                  v{r.version} · {shortTime(r.updatedAt, lang)}
                </span>
              </Tooltip>
            ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 230,
            fixed: 'right',
            render: (_: unknown, r) => (
              <Space size={0} wrap>
                {canConfigure && (
                  <Button size="small" type="link" icon={<EditOutlined />} onClick={() => setDrawer({ rule: r })} data-testid="rule-edit">
                    {t('common.edit')}
                  </Button>
                )}
                <Button size="small" type="link" icon={<ExperimentOutlined />} onClick={() => setDryRun({ rule: r })} data-testid="rule-dry-run">
                  {t('al.dryRun')}
                </Button>
                {RECON_KINDS.includes(r.kind) && canConfigure && (
                  <Button size="small" type="link" icon={<PlayCircleOutlined />} onClick={() => setRunning(r)} data-testid="rule-run">
                    {t('al.runNow')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <RuleDrawer
        open={!!drawer}
        rule={drawer?.rule ?? null}
        onClose={() => setDrawer(null)}
        onSaved={(saved) => {
          message.success(t('common.saved'));
          setDrawer(null);
          setRules((list) => (list.some((x) => x.id === saved.id) ? list.map((x) => (x.id === saved.id ? saved : x)) : [...list, saved]));
        }}
        onDryRun={(rule, params) => setDryRun({ rule, params })}
      />
      <DryRunModal rule={dryRun?.rule ?? null} params={dryRun?.params} onClose={() => setDryRun(null)} />
      <RunNowModal rule={running} onClose={() => setRunning(null)} />
    </div>
  );
}

/** 立即比对: runs a reconciliation rule now (warnings are raised for real), following the job. */
export function RunNowModal({ rule, onClose, onDone }: { rule: AlertRule | null; onClose: () => void; onDone?: () => void }) {
  const { t } = useI18n();
  const showError = useShowError();
  const navigate = useNavigate();
  const { job, start, reset } = useJob(() => onDone?.());
  const [confirmed, setConfirmed] = useState(false);
  const [starting, setStarting] = useState(false);

  useEffect(() => {
    if (!rule) {
      reset();
      setConfirmed(false);
    }
  }, [rule, reset]);

  const go = async () => {
    if (!rule) return;
    setStarting(true);
    try {
      const r = await alertsApi.rules.run(rule.id);
      setConfirmed(true);
      start(r.jobId, 'recon.run');
    } catch (e) {
      showError(e);
    } finally {
      setStarting(false);
    }
  };
  const result = (job?.result ?? {}) as { found?: number; raised?: number; ended?: number };

  return (
    <Modal
      open={!!rule}
      title={t('al.runNowTitle', { name: rule?.name ?? '' })}
      onCancel={onClose}
      footer={
        confirmed ? (
          <Space>
            {job?.status === 'succeeded' && (result.raised ?? 0) > 0 && rule && (
              <Button onClick={() => navigate(`/alerts/warnings?ruleId=${rule.id}`)}>{t('al.viewWarnings')}</Button>
            )}
            <Button type="primary" onClick={onClose}>
              {t('common.close')}
            </Button>
          </Space>
        ) : (
          <Space>
            <Button onClick={onClose}>{t('common.cancel')}</Button>
            <Button type="primary" loading={starting} onClick={go} data-testid="run-confirm">
              {t('al.runNow')}
            </Button>
          </Space>
        )
      }
      destroyOnHidden
    >
      <div data-testid="run-now" data-status={job?.status ?? 'idle'}>
        {!confirmed && <Typography.Paragraph>{t('al.runNowConfirm')}</Typography.Paragraph>}
        {job?.status === 'running' && <Progress percent={jobPercent(job)} status="active" />}
        {job?.status === 'succeeded' && (
          <Result
            status="success"
            title={t('al.runDone')}
            subTitle={t('al.runResult', { found: result.found ?? 0, raised: result.raised ?? 0, ended: result.ended ?? 0 })}
            style={{ padding: '12px 0' }}
          />
        )}
        {job?.status === 'failed' && <Result status="error" title={t('al.runFailed')} subTitle={(job.errors ?? []).map((e) => e.message).join('；')} style={{ padding: '12px 0' }} />}
      </div>
    </Modal>
  );
}
