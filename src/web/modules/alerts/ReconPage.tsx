/**
 * 数据比对: registers imported from other departments (resident registrations, enterprise
 * registrations, door-access records) are compared on a schedule — 人来未登记 (people coming
 * often to an address where nobody is registered) and 一址多企 (many enterprises at one
 * address). Upload a spreadsheet (the job checks every row first: one bad row and nothing is
 * imported, the rows are listed), see past imports and runs, run a comparison now.
 */
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Button, Card, Col, Progress, Result, Row, Segmented, Space, Table, Tag, Typography, Upload } from 'antd';
import { DownloadOutlined, InboxOutlined, PlayCircleOutlined, ReloadOutlined, UploadOutlined } from '@ant-design/icons';
import type { JobError } from '../../api';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { useBusy, useShowError } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../format';
import { alertsApi, RECON_IMPORT_KINDS, RECON_KINDS, type AlertRule, type ReconImport, type ReconImportKind, type ReconRun } from './alerts-api';
import { importKindLabel, jobPercent, kindLabel, localizeJobMessage, useJob } from './alerts-meta';
import { paramsSummary } from './RuleForm';
import { RunNowModal } from './RulesPage';
import './alerts.css';

export default function ReconPage() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const showError = useShowError();
  const [imports, setImports] = useState<ReconImport[]>([]);
  const [runs, setRuns] = useState<ReconRun[]>([]);
  const [rules, setRules] = useState<AlertRule[]>([]);
  const [running, setRunning] = useState<AlertRule | null>(null);
  const [runRule, setRunRule] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(false);

  const load = useCallback(() => {
    setLoading(true);
    Promise.all([
      alertsApi.recon.imports().then((p) => setImports(p.items)),
      alertsApi.recon.runs(runRule).then((p) => setRuns(p.items)),
      alertsApi.rules.list().then((list) => setRules(list.filter((r) => RECON_KINDS.includes(r.kind)))),
    ])
      .catch(showError)
      .finally(() => setLoading(false));
  }, [showError, runRule]);
  useEffect(load, [load]);

  const ruleName = (id: string) => rules.find((r) => r.id === id)?.name ?? id;

  return (
    <div className="za-page">
      <PageHeader title={t('nav.alerts.recon')} sub={t('al.reconSub')} extra={<Button icon={<ReloadOutlined />} onClick={load} aria-label={t('common.refresh')} />} />
      <Row gutter={12}>
        <Col xs={24} xl={12}>
          {can('recon.import') && <ImportCard onImported={load} />}
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('al.reconRules')} className="za-card">
            <Table<AlertRule>
              size="small"
              rowKey="id"
              dataSource={rules}
              pagination={false}
              locale={{ emptyText: t('al.noReconRules') }}
              columns={[
                {
                  title: t('common.name'),
                  dataIndex: 'name',
                  render: (v: string, r) => (
                    <div>
                      {v} {!r.enabled && <Tag bordered={false}>{t('al.disabled')}</Tag>}
                      <div className="za-cell-sub">{kindLabel(t, r.kind)}</div>
                    </div>
                  ),
                },
                {
                  title: t('al.bounds'),
                  key: 'p',
                  render: (_: unknown, r) => (
                    <span className="za-rule-params">
                      {paramsSummary(t, r)}
                      <div className="za-cell-sub">{t(`al.schedule.${String(r.params?.schedule ?? 'monthly') as 'monthly' | 'weekly' | 'off'}`)}</div>
                    </span>
                  ),
                },
                {
                  title: t('common.actions'),
                  key: 'a',
                  width: 110,
                  render: (_: unknown, r) =>
                    can('alert.configure') && (
                      <Button size="small" type="primary" ghost icon={<PlayCircleOutlined />} onClick={() => setRunning(r)} data-testid="recon-run-now">
                        {t('al.runNow')}
                      </Button>
                    ),
                },
              ]}
            />
          </Card>
        </Col>
      </Row>

      <Card size="small" title={t('al.importHistory')} className="za-card">
        <Table<ReconImport>
          size="small"
          rowKey="id"
          loading={loading}
          dataSource={imports}
          pagination={{ pageSize: 8, size: 'small', showSizeChanger: false, showTotal: (n) => t('common.total', { n }) }}
          scroll={{ x: 640 }}
          onRow={() => ({ 'data-testid': 'import-row' }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            { title: t('al.importKind'), dataIndex: 'kind', width: 110, render: (v: string) => importKindLabel(t, v) },
            { title: t('al.fileName'), dataIndex: 'fileName', ellipsis: true },
            { title: t('job.rows'), dataIndex: 'rows', width: 80, align: 'right' },
            { title: t('al.status'), dataIndex: 'status', width: 90, render: (v: ReconImport['status']) => (v ? <JobStatusTag status={v} /> : '—') },
            { title: t('al.createdBy'), dataIndex: 'createdBy', width: 100, render: (v: string | null) => v ?? '—' },
            { title: t('al.importedAt'), dataIndex: 'createdAt', width: 170, render: (v: string) => formatTime(v, lang) },
          ]}
        />
      </Card>

      <Card
        size="small"
        title={t('al.runHistory')}
        className="za-card"
        extra={
          <Segmented
            size="small"
            value={runRule ?? 'all'}
            onChange={(v) => setRunRule(v === 'all' ? undefined : String(v))}
            options={[{ value: 'all', label: t('common.all') }, ...rules.map((r) => ({ value: r.id, label: r.name }))]}
          />
        }
      >
        <Table<ReconRun>
          size="small"
          rowKey="id"
          loading={loading}
          dataSource={runs}
          pagination={{ pageSize: 8, size: 'small', showSizeChanger: false, showTotal: (n) => t('common.total', { n }) }}
          scroll={{ x: 900 }}
          onRow={() => ({ 'data-testid': 'run-row' }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            { title: t('al.rule'), key: 'rule', ellipsis: true, render: (_: unknown, r) => r.ruleName ?? ruleName(r.ruleId) },
            { title: t('al.trigger'), dataIndex: 'trigger', width: 90, render: (v: string) => t(v === 'manual' ? 'al.trigger.manual' : 'al.trigger.schedule') },
            {
              title: t('al.status'),
              dataIndex: 'status',
              width: 90,
              render: (v: ReconRun['status'], r) => <JobStatusTag status={v} title={r.error ? localizeJobMessage(lang, r.error) : undefined} />,
            },
            { title: t('al.found'), dataIndex: 'found', width: 80, align: 'right' },
            {
              title: t('al.raised'),
              dataIndex: 'raised',
              width: 90,
              align: 'right',
              render: (v: number, r) => (v > 0 ? <Link to={`/alerts/warnings?ruleId=${r.ruleId}`}>{v}</Link> : v),
            },
            { title: t('al.ended'), dataIndex: 'ended', width: 80, align: 'right' },
            { title: t('al.startedAt'), dataIndex: 'startedAt', width: 170, render: (v: string) => formatTime(v, lang) },
            { title: t('al.finishedAt'), dataIndex: 'finishedAt', width: 170, render: (v: string | null) => (v ? formatTime(v, lang) : '—') },
          ]}
        />
      </Card>

      <RunNowModal rule={running} onClose={() => setRunning(null)} onDone={load} />
    </div>
  );
}

function JobStatusTag({ status, title }: { status: 'running' | 'succeeded' | 'failed'; title?: string }) {
  const { t } = useI18n();
  const color = status === 'succeeded' ? 'green' : status === 'failed' ? 'red' : 'blue';
  return (
    <Tag color={color} bordered={false} title={title}>
      {t(`al.job.${status}`)}
    </Tag>
  );
}

/** Upload → progress → the result, or the rows to fix (nothing was imported). */
function ImportCard({ onImported }: { onImported: () => void }) {
  const { t, lang } = useI18n();
  const showError = useShowError();
  const { busy, run } = useBusy();
  const [kind, setKind] = useState<ReconImportKind>('residents');
  const [file, setFile] = useState<File | null>(null);
  const [badFormat, setBadFormat] = useState(false);
  const [uploading, setUploading] = useState(false);
  const { job, start, reset, running } = useJob(() => onImported());

  const begin = async () => {
    if (!file) return;
    setUploading(true);
    try {
      const r = await alertsApi.recon.upload(kind, file);
      start(r.jobId, 'recon.import');
    } catch (e) {
      showError(e);
    } finally {
      setUploading(false);
    }
  };
  const again = () => {
    reset();
    setFile(null);
  };
  const result = (job?.result ?? null) as Record<string, unknown> | null;

  return (
    <Card size="small" title={t('al.importData')} className="za-card" data-testid="recon-import">
      <Space wrap style={{ marginBottom: 10 }}>
        <Segmented value={kind} onChange={(v) => setKind(v as ReconImportKind)} options={RECON_IMPORT_KINDS.map((k) => ({ value: k, label: importKindLabel(t, k) }))} disabled={!!job} data-testid="recon-kind" />
        <Button size="small" type="link" icon={<DownloadOutlined />} loading={busy[kind]} onClick={() => run(kind, () => alertsApi.recon.template(kind))} data-testid="recon-template">
          {t('al.downloadTemplate', { kind: importKindLabel(t, kind) })}
        </Button>
      </Space>
      {!job && (
        <>
          <Upload.Dragger
            accept=".xlsx,.csv"
            maxCount={1}
            multiple={false}
            fileList={file ? [{ uid: 'f', name: file.name, size: file.size, status: 'done' }] : []}
            beforeUpload={(f) => {
              setFile(f);
              setBadFormat(!/\.(xlsx|csv)$/i.test(f.name));
              return false;
            }}
            onRemove={() => {
              setFile(null);
              setBadFormat(false);
            }}
            data-testid="recon-file"
          >
            <p className="ant-upload-drag-icon">
              <InboxOutlined />
            </p>
            <p className="ant-upload-text">{t('common.upload')}（.xlsx / .csv）</p>
            <p className="ant-upload-hint">{t(`al.importHint.${kind}`)}</p>
          </Upload.Dragger>
          {badFormat && <Alert style={{ marginTop: 8 }} type="error" showIcon message={t('addr.badFormat')} />}
          <Button type="primary" icon={<UploadOutlined />} disabled={!file || badFormat} loading={uploading} onClick={begin} style={{ marginTop: 10 }} data-testid="recon-start">
            {t('addr.importStart')}
          </Button>
        </>
      )}
      {job && running && (
        <div className="za-job-progress" data-testid="recon-progress">
          <Progress percent={jobPercent(job)} status="active" />
          <Typography.Text type="secondary">{t('addr.importRunning', { processed: job.processed ?? 0, total: job.total || '…' })}</Typography.Text>
        </div>
      )}
      {job?.status === 'succeeded' && (
        <div data-testid="recon-succeeded">
          <Result
            status="success"
            title={t('al.importSucceeded', { n: typeof result?.rows === 'number' ? result.rows : job.processed })}
            subTitle={
              result &&
              Object.entries(result)
                // Ids and codes are for machines; the counts are for people.
                .filter(([k, v]) => k !== 'rows' && typeof v === 'number' && resultLabel(t, k) !== k)
                .map(([k, v]) => `${resultLabel(t, k)} ${v}`)
                .join(' · ')
            }
            style={{ padding: '8px 0' }}
          />
          <Button onClick={again} style={{ marginTop: 10 }}>
            {t('al.importAnother')}
          </Button>
        </div>
      )}
      {job?.status === 'failed' && (
        <div data-testid="recon-failed">
          <Alert type="error" showIcon message={t('al.importFailed')} description={t('al.importFailedHint', { n: job.errors?.length ?? 0 })} style={{ marginBottom: 10 }} />
          <Table<JobError & { key: number }>
            size="small"
            dataSource={(job.errors ?? []).map((e, i) => ({ ...e, key: i }))}
            pagination={{ pageSize: 8, size: 'small', showSizeChanger: false, showTotal: (n) => t('common.total', { n }) }}
            onRow={() => ({ 'data-testid': 'import-error' }) as React.HTMLAttributes<HTMLElement>}
            columns={[
              { title: t('addr.row'), dataIndex: 'row', width: 70 },
              { title: t('addr.field'), dataIndex: 'field', width: 120, render: (v: string | null) => (!v ? '—' : v === '(file)' ? t('al.wholeFile') : v) },
              { title: t('addr.message'), dataIndex: 'message', render: (v: string) => localizeJobMessage(lang, v) },
            ]}
          />
          <Button type="primary" onClick={again} style={{ marginTop: 10 }} data-testid="recon-again">
            {t('al.importFixed')}
          </Button>
        </div>
      )}
    </Card>
  );
}

function resultLabel(t: ReturnType<typeof useI18n>['t'], k: string): string {
  const key = `al.result.${k}` as Parameters<typeof t>[0];
  const v = t(key);
  return v === key ? k : v;
}
