/**
 * 导入地址: upload an xlsx/csv file, follow the import job, and show the rows the server
 * rejected so that the operator can fix the spreadsheet.
 */
import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Descriptions, Modal, Progress, Result, Space, Table, Typography, Upload } from 'antd';
import { DownloadOutlined, InboxOutlined } from '@ant-design/icons';
import { api, type Job, type JobError } from '../../api';
import { useI18n, type MsgKey } from '../../i18n';
import { useShowError } from '../../app/feedback';
import { downloadAddressTemplate } from './address-template';

const POLL_MS = 1000;

export function ImportAddressesModal({ open, onClose }: { open: boolean; onClose: (changed: boolean) => void }) {
  const { t } = useI18n();
  const showError = useShowError();
  const [file, setFile] = useState<File | null>(null);
  const [formatError, setFormatError] = useState(false);
  const [uploading, setUploading] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const jobIdRef = useRef<string | null>(null);

  const stopPolling = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    jobIdRef.current = null;
  };
  useEffect(() => stopPolling, []);

  const reset = () => {
    stopPolling();
    setFile(null);
    setJob(null);
    setFormatError(false);
    setUploading(false);
  };

  const poll = (jobId: string) => {
    jobIdRef.current = jobId;
    const tick = async () => {
      if (jobIdRef.current !== jobId) return;
      try {
        const j = await api.jobs.get(jobId);
        if (jobIdRef.current !== jobId) return;
        setJob(j);
        if (j.status === 'running') timer.current = setTimeout(tick, POLL_MS);
      } catch (e) {
        showError(e);
        // Keep following: a transient error should not lose the job.
        if (jobIdRef.current === jobId) timer.current = setTimeout(tick, POLL_MS * 3);
      }
    };
    void tick();
  };

  const start = async () => {
    if (!file) return;
    const format = formatOf(file.name);
    if (!format) {
      setFormatError(true);
      return;
    }
    setUploading(true);
    try {
      const { jobId } = await api.addresses.import(file, format);
      setJob({ id: jobId, kind: 'address_import', status: 'running', progress: 0, processed: 0, total: 0, result: null, errors: [] });
      poll(jobId);
    } catch (e) {
      showError(e);
    } finally {
      setUploading(false);
    }
  };

  const close = () => {
    const changed = job?.status === 'succeeded';
    reset();
    onClose(changed);
  };

  const running = job?.status === 'running';

  return (
    <Modal
      open={open}
      title={t('addr.import')}
      onCancel={close}
      width={720}
      maskClosable={!running}
      footer={
        job && !running ? (
          <Space>
            <Button onClick={reset}>{t('addr.import')}</Button>
            <Button type="primary" onClick={close}>
              {t('common.close')}
            </Button>
          </Space>
        ) : (
          <Space>
            <Button icon={<DownloadOutlined />} onClick={downloadAddressTemplate}>
              {t('addr.template')}
            </Button>
            <Button onClick={close}>{t('common.cancel')}</Button>
            <Button type="primary" disabled={!file || !!job} loading={uploading || running} onClick={start}>
              {t('addr.importStart')}
            </Button>
          </Space>
        )
      }
    >
      {!job && (
        <>
          <Upload.Dragger
            accept=".xlsx,.csv"
            maxCount={1}
            multiple={false}
            fileList={file ? [{ uid: 'f', name: file.name, size: file.size, status: 'done' }] : []}
            beforeUpload={(f) => {
              setFile(f);
              setFormatError(!formatOf(f.name));
              return false;
            }}
            onRemove={() => {
              setFile(null);
              setFormatError(false);
            }}
          >
            <p className="ant-upload-drag-icon">
              <InboxOutlined />
            </p>
            <p className="ant-upload-text">{t('common.upload')}（.xlsx / .csv）</p>
            <p className="ant-upload-hint">{t('addr.importHint')}</p>
          </Upload.Dragger>
          {formatError && <Alert style={{ marginTop: 12 }} type="error" showIcon message={t('addr.badFormat')} />}
        </>
      )}

      {job && running && (
        <div style={{ padding: '16px 0' }}>
          <Progress percent={Math.round((job.progress ?? 0) * 100)} status="active" />
          <Typography.Text type="secondary">
            {t('addr.importRunning', { processed: job.processed ?? 0, total: job.total || '…' })}
          </Typography.Text>
        </div>
      )}

      {job?.status === 'succeeded' && (
        <Result
          status="success"
          title={t('addr.importSucceeded', { processed: rowsOf(job) })}
          subTitle={<ResultSummary result={job.result} />}
          style={{ padding: '16px 0' }}
        />
      )}

      {job?.status === 'failed' && (
        <>
          <Alert type="error" showIcon message={t('addr.importFailed')} style={{ marginBottom: 12 }} />
          <Table<JobError & { key: number }>
            size="small"
            dataSource={(job.errors ?? []).map((e, i) => ({ ...e, key: i }))}
            pagination={{ pageSize: 10, size: 'small', showSizeChanger: false, showTotal: (n) => t('common.total', { n }) }}
            columns={[
              { title: t('addr.row'), dataIndex: 'row', width: 80 },
              { title: t('addr.field'), dataIndex: 'field', width: 120, render: (v: string | null) => v ?? '—' },
              { title: t('addr.message'), dataIndex: 'message' },
            ]}
          />
        </>
      )}
    </Modal>
  );
}

/** Spreadsheet rows imported: the result's row count when the job reports one. */
function rowsOf(job: Job): number {
  const rows = (job.result as { rows?: unknown } | null)?.rows;
  return typeof rows === 'number' ? rows : (job.processed ?? job.total ?? 0);
}

function formatOf(name: string): 'xlsx' | 'csv' | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.xlsx')) return 'xlsx';
  if (lower.endsWith('.csv')) return 'csv';
  return null;
}

/** The job's result is module-specific; numbers such as created/updated are shown as they come. */
function ResultSummary({ result }: { result: unknown }) {
  const { t } = useI18n();
  if (!result || typeof result !== 'object') return null;
  const entries = Object.entries(result as Record<string, unknown>).filter(([, v]) => typeof v === 'number' || typeof v === 'string');
  if (!entries.length) return null;
  const label = (k: string) => (k in RESULT_LABELS ? t(RESULT_LABELS[k]) : k);
  return (
    <Descriptions size="small" column={Math.min(entries.length, 4)} style={{ maxWidth: 560, margin: '0 auto' }}>
      {entries.map(([k, v]) => (
        <Descriptions.Item key={k} label={label(k)}>
          {String(v)}
        </Descriptions.Item>
      ))}
    </Descriptions>
  );
}

const RESULT_LABELS: Record<string, MsgKey> = {
  created: 'job.created',
  updated: 'job.updated',
  skipped: 'job.skipped',
  unchanged: 'job.unchanged',
  rows: 'job.rows',
};
