/**
 * 试运行: replays the last 30 days through a rule (saved, or as edited and not yet saved)
 * without writing anything, and shows how many warnings of each level it would have raised,
 * with some examples. The server runs it as a job; the bar follows its progress.
 */
import { useEffect, useRef } from 'react';
import { Alert, Button, Empty, Modal, Progress, Result, Table, Typography } from 'antd';
import type { Job } from '../../api';
import { useI18n } from '../../i18n';
import { useShowError } from '../../app/feedback';
import { formatTime } from '../../format';
import { alertsApi, RECON_KINDS, type AlertRule, type DryRunResult, type Level } from './alerts-api';
import { LEVEL_HEX, LEVEL_TEXT, jobPercent, levelLabel, useJob } from './alerts-meta';
import { LevelTag } from './AlertTags';

export function DryRunModal({ rule, params, onClose }: { rule: AlertRule | null; params?: Record<string, unknown>; onClose: () => void }) {
  const { t } = useI18n();
  const showError = useShowError();
  const { job, error, start, reset } = useJob();
  const started = useRef<string | null>(null);

  useEffect(() => {
    if (!rule) {
      started.current = null;
      reset();
      return;
    }
    if (started.current === rule.id) return;
    started.current = rule.id;
    alertsApi.rules
      .dryRun(rule.id, params)
      .then((r) => start(r.jobId, 'alert.dry_run'))
      .catch((e: unknown) => {
        showError(e);
        onClose();
      });
    // Started once per opening; params are the draft at that moment.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rule]);

  return (
    <Modal
      open={!!rule}
      title={t('al.dryRunTitle', { name: rule?.name ?? '' })}
      onCancel={onClose}
      footer={
        <Button type="primary" onClick={onClose}>
          {t('common.close')}
        </Button>
      }
      width={760}
      destroyOnHidden
    >
      <div data-testid="dry-run" data-status={job?.status ?? 'starting'}>
        <Typography.Paragraph type="secondary">{rule && RECON_KINDS.includes(rule.kind) ? t('al.dryRunReconHint') : t('al.dryRunHint')}</Typography.Paragraph>
        {error && <Alert type="error" showIcon message={error} />}
        {(!job || job.status === 'running') && !error && (
          <div className="za-job-progress">
            <Progress percent={jobPercent(job)} status="active" data-testid="dry-run-progress" />
            <Typography.Text type="secondary">{job && job.total ? t('al.dryRunProgress', { processed: job.processed, total: job.total }) : t('al.starting')}</Typography.Text>
          </div>
        )}
        {job?.status === 'succeeded' && <DryRunResultView job={job} />}
        {job?.status === 'failed' && (
          <Result status="error" title={t('al.dryRunFailed')} subTitle={(job.errors ?? []).map((e) => e.message).join('；')} style={{ padding: '12px 0' }} />
        )}
      </div>
    </Modal>
  );
}

function DryRunResultView({ job }: { job: Job }) {
  const { t, lang } = useI18n();
  const r = (job.result ?? {}) as Partial<DryRunResult>;
  const byLevel = (r.byLevel ?? { red: 0, yellow: 0, green: 0 }) as Record<Level, number>;
  return (
    <div data-testid="dry-run-result">
      <Progress percent={100} size="small" />
      <div className="za-dry-summary">
        <div className="za-dry-total">
          <div className="za-dry-num">{r.warnings ?? 0}</div>
          <div className="za-dry-label">{t('al.dryRunWarnings', { days: r.days ?? 30 })}</div>
        </div>
        {(['red', 'yellow', 'green'] as Level[]).map((l) => (
          <div key={l} className="za-dry-level" style={{ background: LEVEL_HEX[l], color: LEVEL_TEXT[l] }} data-testid={`dry-run-${l}`}>
            <div className="za-dry-num">{byLevel[l] ?? 0}</div>
            <div className="za-dry-label">{levelLabel(t, l)}</div>
          </div>
        ))}
        {typeof r.devices === 'number' && job.total > 0 && (
          <div className="za-dry-total">
            <div className="za-dry-num">
              {r.devices}
              <small> / {job.total}</small>
            </div>
            <div className="za-dry-label">{t('al.dryRunDevices')}</div>
          </div>
        )}
      </div>
      {r.samples && r.samples.length > 0 ? (
        <>
          <Typography.Title level={5} style={{ marginTop: 12 }}>
            {t('al.samples')}
          </Typography.Title>
          <Table
            size="small"
            rowKey={(s) => `${s.deviceCode}-${s.at}-${s.level}`}
            dataSource={r.samples}
            pagination={r.samples.length > 5 ? { pageSize: 5, size: 'small', showSizeChanger: false } : false}
            columns={[
              { title: t('al.deviceCode'), dataIndex: 'deviceCode', width: 130, render: (v: string) => <span className="za-mono">{v}</span> },
              { title: t('al.time'), dataIndex: 'at', width: 160, render: (v: string) => formatTime(v, lang) },
              { title: t('al.level'), dataIndex: 'level', width: 70, render: (l: Level) => <LevelTag level={l} /> },
              { title: t('al.reason'), dataIndex: 'reason' },
            ]}
          />
        </>
      ) : (
        (r.warnings ?? 0) === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('al.dryRunNone')} />
      )}
    </div>
  );
}
