/**
 * 电子证据 of an item: large files (video, disk images) uploaded resumably over tus, with the
 * file's SHA-256 computed here first (streamed in 8 MB pieces) and declared in the upload's
 * metadata, so that the server accepts the file only when its own hash of the stored bytes
 * agrees. An upload interrupted by a reload or a lost connection resumes: tus-js-client keeps
 * the upload's address in localStorage, keyed by the item and the file.
 *
 * The outcome of the last request comes in response headers (X-Upload-Result on success,
 * X-Upload-Error with 422 when the hashes differ), also on a later HEAD, so they are read in
 * onAfterResponse whichever request finished the upload.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, App, Button, DatePicker, Form, Modal, Progress, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { CloudUploadOutlined, DownloadOutlined, PauseOutlined, CaretRightOutlined, ShareAltOutlined, ReloadOutlined, SafetyCertificateOutlined, CopyOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { createSHA256 } from 'hash-wasm';
import { Upload, defaultOptions, type HttpResponse, type PreviousUpload } from 'tus-js-client';
import { api, ApiError } from '../../api';
import { useAuth } from '../../app/auth';
import { formatTime, shanghaiIso, TIME_ZONE } from '../../format';
import { custodyApi, custodyUrls, type Agency, type Evidence } from './custody-api';
import { useCustodyI18n } from './custody-i18n';
import { copyText, fileSize, useCustodyErrors } from './custody-meta';

const CHUNK = 8 * 1024 * 1024;

/** base64url JSON of a header → value (UTF-8). */
function decodeHeaderJson(v: string | undefined | null): unknown {
  if (!v) return undefined;
  try {
    const b64 = v.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(v.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return v;
  }
}

/** SHA-256 of a file, read in 8 MB slices; `onProgress` gets 0..1; stops when `signal` aborts. */
async function sha256Of(file: File, onProgress: (f: number) => void, signal: AbortSignal): Promise<string> {
  const hasher = await createSHA256();
  hasher.init();
  for (let offset = 0; offset < file.size; offset += CHUNK) {
    if (signal.aborted) throw new DOMException('aborted', 'AbortError');
    const buf = await file.slice(offset, Math.min(offset + CHUNK, file.size)).arrayBuffer();
    hasher.update(new Uint8Array(buf));
    onProgress(Math.min(1, (offset + buf.byteLength) / Math.max(1, file.size)));
  }
  onProgress(1);
  return hasher.digest('hex');
}

type Phase =
  | { kind: 'idle' }
  | { kind: 'offer'; file: File; previous: PreviousUpload }
  | { kind: 'hashing'; file: File; fraction: number }
  | { kind: 'uploading'; file: File; sent: number; total: number; speed: number; paused: boolean }
  | { kind: 'done'; file: File; sha256: string | null }
  | { kind: 'mismatch'; file: File; message: string }
  | { kind: 'failed'; file: File; message: string };

function uploadOptionsBase(itemId: string) {
  return {
    endpoint: custodyUrls.uploads,
    chunkSize: CHUNK,
    retryDelays: [0, 1000, 3000, 5000],
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    // One item, one file: the same file uploaded for two items is two uploads.
    fingerprint: async (file: File) => ['zhian-evidence', itemId, file.name, file.type, file.size, file.lastModified].join('-'),
  };
}

/** The resumable upload with its two progress bars. */
function EvidenceUploader({ itemId, onUploaded }: { itemId: string; onUploaded: () => void }) {
  const { t, lang, localize } = useCustodyI18n();
  const { message } = App.useApp();
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [unfinished, setUnfinished] = useState<PreviousUpload[]>([]);
  const inputRef = useRef<HTMLInputElement>(null);
  const uploadRef = useRef<Upload | null>(null);
  const hashAbort = useRef<AbortController | null>(null);
  const outcome = useRef<{ result?: unknown; error?: unknown }>({});
  const speedRef = useRef<{ at: number; sent: number; speed: number }>({ at: 0, sent: 0, speed: 0 });

  const loadUnfinished = useCallback(() => {
    defaultOptions.urlStorage
      .findAllUploads()
      .then((all) => setUnfinished(all.filter((u) => u.metadata?.itemId === itemId)))
      .catch(() => setUnfinished([]));
  }, [itemId]);
  useEffect(loadUnfinished, [loadUnfinished]);

  useEffect(
    () => () => {
      hashAbort.current?.abort();
      void uploadRef.current?.abort();
    },
    [],
  );

  /** The upload object for a file; `sha256` is declared when creating, not needed to resume. */
  const makeUpload = async (file: File, sha256: string | null) => {
    // The CSRF token of this session (tus-js-client sends these headers on every request).
    const session = await api.auth.me();
    outcome.current = {};
    speedRef.current = { at: performance.now(), sent: 0, speed: 0 };
    const upload: Upload = new Upload(file, {
      ...uploadOptionsBase(itemId),
      headers: session.csrfToken ? { 'x-csrf-token': session.csrfToken } : {},
      metadata: { itemId, filename: file.name, filetype: file.type || 'application/octet-stream', ...(sha256 ? { sha256 } : {}) },
      onProgress: (sent, total) => {
        const now = performance.now();
        const s = speedRef.current;
        if (now - s.at > 800) {
          const speed = ((sent - s.sent) / (now - s.at)) * 1000;
          speedRef.current = { at: now, sent, speed: s.speed ? s.speed * 0.6 + speed * 0.4 : speed };
        }
        setPhase((p) => (p.kind === 'uploading' ? { ...p, sent, total, speed: speedRef.current.speed } : p));
      },
      onAfterResponse: (_req, res: HttpResponse) => {
        const result = res.getHeader('X-Upload-Result');
        const error = res.getHeader('X-Upload-Error');
        if (result) outcome.current.result = decodeHeaderJson(result);
        if (error) outcome.current.error = decodeHeaderJson(error);
      },
      onSuccess: () => {
        uploadRef.current = null;
        if (outcome.current.error) {
          setPhase({ kind: 'mismatch', file, message: errorText(outcome.current.error) });
          loadUnfinished();
          // The refusal is recorded in the item's history.
          onUploaded();
          return;
        }
        const r = outcome.current.result as { sha256?: string } | undefined;
        setPhase({ kind: 'done', file, sha256: r?.sha256 ?? sha256 });
        message.success(t('ev.done'));
        loadUnfinished();
        onUploaded();
      },
      onError: (err) => {
        uploadRef.current = null;
        const res = (err as { originalResponse?: HttpResponse | null }).originalResponse;
        const status = res?.getStatus() ?? 0;
        if (status === 422 || outcome.current.error) {
          setPhase({ kind: 'mismatch', file, message: errorText(outcome.current.error ?? safeJson(res?.getBody())) });
          onUploaded();
        } else {
          let text = err.message;
          const body = safeJson(res?.getBody()) as { error?: { message?: string } } | undefined;
          if (body?.error?.message) text = body.error.message;
          setPhase({ kind: 'failed', file, message: localize(text) });
        }
        loadUnfinished();
      },
    });
    uploadRef.current = upload;
    return upload;
  };

  const errorText = (e: unknown): string => {
    const o = e as { message?: string; error?: { message?: string } } | undefined;
    const text = o?.message ?? o?.error?.message ?? (typeof e === 'string' ? e : '');
    return localize(text);
  };

  const startFresh = async (file: File) => {
    const ctrl = new AbortController();
    hashAbort.current = ctrl;
    setPhase({ kind: 'hashing', file, fraction: 0 });
    let sha: string;
    try {
      let last = 0;
      sha = await sha256Of(
        file,
        (f) => {
          // Repaint at most every 1 %: hashing 10 GB would otherwise re-render 1,250 times for nothing.
          if (f - last >= 0.01 || f === 1) {
            last = f;
            setPhase({ kind: 'hashing', file, fraction: f });
          }
        },
        ctrl.signal,
      );
    } catch (e) {
      if ((e as Error).name === 'AbortError') setPhase({ kind: 'idle' });
      else setPhase({ kind: 'failed', file, message: String((e as Error).message ?? e) });
      return;
    }
    try {
      const upload = await makeUpload(file, sha);
      setPhase({ kind: 'uploading', file, sent: 0, total: file.size, speed: 0, paused: false });
      upload.start();
    } catch (e) {
      setPhase({ kind: 'failed', file, message: e instanceof ApiError ? localize(e.message) : String(e) });
    }
  };

  const resume = async (file: File, previous: PreviousUpload) => {
    try {
      const upload = await makeUpload(file, previous.metadata?.sha256 ?? null);
      upload.resumeFromPreviousUpload(previous);
      setPhase({ kind: 'uploading', file, sent: 0, total: file.size, speed: 0, paused: false });
      upload.start();
    } catch (e) {
      setPhase({ kind: 'failed', file, message: e instanceof ApiError ? localize(e.message) : String(e) });
    }
  };

  const pick = async (file: File | undefined) => {
    if (!file) return;
    // An unfinished upload of the same file for this item: offer to go on from where it stopped.
    try {
      const probe = new Upload(file, { ...uploadOptionsBase(itemId) });
      const previous = (await probe.findPreviousUploads()).filter((p) => p.uploadUrl && p.metadata?.itemId === itemId);
      if (previous.length) {
        previous.sort((a, b) => (a.creationTime < b.creationTime ? 1 : -1));
        setPhase({ kind: 'offer', file, previous: previous[0] });
        return;
      }
    } catch {
      /* no storage: upload from the start */
    }
    void startFresh(file);
  };

  const discard = async (u: PreviousUpload) => {
    await defaultOptions.urlStorage.removeUpload(u.urlStorageKey).catch(() => undefined);
    if (u.uploadUrl) {
      const session = await api.auth.me().catch(() => null);
      await Upload.terminate(u.uploadUrl, { headers: session?.csrfToken ? { 'x-csrf-token': session.csrfToken } : {} }).catch(() => undefined);
    }
    loadUnfinished();
  };

  const pause = () => {
    void uploadRef.current?.abort();
    setPhase((p) => (p.kind === 'uploading' ? { ...p, paused: true } : p));
  };
  const unpause = () => {
    uploadRef.current?.start();
    setPhase((p) => (p.kind === 'uploading' ? { ...p, paused: false } : p));
  };
  const cancel = () => {
    hashAbort.current?.abort();
    void uploadRef.current?.abort();
    uploadRef.current = null;
    setPhase({ kind: 'idle' });
    loadUnfinished();
  };

  const busy = phase.kind === 'hashing' || phase.kind === 'uploading';
  const fileLine = (f: File) => (
    <div className="cz-ev-file">
      <Typography.Text strong ellipsis style={{ maxWidth: '100%' }}>
        {f.name}
      </Typography.Text>
      <Typography.Text type="secondary"> · {fileSize(f.size)}</Typography.Text>
    </div>
  );

  return (
    <div className="cz-ev-upload" data-testid="evidence-uploader">
      {phase.kind === 'idle' &&
        unfinished.map((u) => (
          <Alert
            key={u.urlStorageKey}
            type="warning"
            showIcon
            className="cz-ev-alert"
            message={t('ev.unfinished', { name: u.metadata?.filename ?? '?', size: fileSize(u.size) })}
            action={
              <Space direction="vertical" size={4}>
                <Button size="small" type="primary" onClick={() => inputRef.current?.click()}>
                  {t('ev.resume')}
                </Button>
                <Button size="small" onClick={() => void discard(u)}>
                  {t('ev.forget')}
                </Button>
              </Space>
            }
            data-testid="evidence-unfinished"
          />
        ))}
      {phase.kind === 'offer' && (
        <Alert
          type="info"
          showIcon
          className="cz-ev-alert"
          message={fileLine(phase.file)}
          description={t('ev.previousFound', { t: formatTime(phase.previous.creationTime, lang) })}
          action={
            <Space direction="vertical" size={4}>
              <Button size="small" type="primary" icon={<CaretRightOutlined />} onClick={() => void resume(phase.file, phase.previous)} data-testid="evidence-resume">
                {t('ev.resume')}
              </Button>
              <Button
                size="small"
                onClick={async () => {
                  await defaultOptions.urlStorage.removeUpload(phase.previous.urlStorageKey).catch(() => undefined);
                  void startFresh(phase.file);
                }}
              >
                {t('ev.restart')}
              </Button>
            </Space>
          }
        />
      )}
      {phase.kind === 'hashing' && (
        <div className="cz-ev-progress" data-testid="evidence-hashing">
          {fileLine(phase.file)}
          <div className="cz-ev-label">{t('ev.hashing')}</div>
          <Progress percent={Math.floor(phase.fraction * 100)} status="active" strokeColor="#7c3aed" />
          <Button size="small" onClick={cancel}>
            {t('ev.cancel')}
          </Button>
        </div>
      )}
      {phase.kind === 'uploading' && (
        <div className="cz-ev-progress" data-testid="evidence-uploading">
          {fileLine(phase.file)}
          <div className="cz-ev-label">
            {t('ev.uploading')}
            <Typography.Text type="secondary" className="cz-ev-speed">
              {fileSize(phase.sent)} / {fileSize(phase.total)}
              {!phase.paused && phase.speed > 0 ? ` · ${t('ev.speed', { speed: fileSize(Math.round(phase.speed)) })}` : ''}
            </Typography.Text>
          </div>
          <Progress percent={phase.total ? Math.floor((phase.sent / phase.total) * 100) : 0} status={phase.paused ? 'normal' : 'active'} />
          {phase.sent >= phase.total && phase.total > 0 && <Typography.Text type="secondary">{t('ev.verifying')}</Typography.Text>}
          <Space>
            {phase.paused ? (
              <Button size="small" type="primary" icon={<CaretRightOutlined />} onClick={unpause}>
                {t('ev.resume')}
              </Button>
            ) : (
              <Button size="small" icon={<PauseOutlined />} onClick={pause} disabled={phase.sent >= phase.total}>
                {t('ev.pause')}
              </Button>
            )}
            <Button size="small" onClick={cancel}>
              {t('ev.cancel')}
            </Button>
          </Space>
        </div>
      )}
      {phase.kind === 'done' && (
        <Alert
          type="success"
          showIcon
          icon={<SafetyCertificateOutlined />}
          className="cz-ev-alert"
          message={t('ev.done')}
          description={
            <div>
              {fileLine(phase.file)}
              {phase.sha256 && <div className="za-mono cz-ev-sha">SHA-256 {phase.sha256}</div>}
            </div>
          }
          closable
          onClose={() => setPhase({ kind: 'idle' })}
          data-testid="evidence-done"
        />
      )}
      {(phase.kind === 'mismatch' || phase.kind === 'failed') && (
        <Alert
          type="error"
          showIcon
          className="cz-ev-alert"
          message={phase.kind === 'mismatch' ? t('ev.mismatch') : t('ev.failed')}
          description={
            <div>
              {fileLine(phase.file)}
              <div data-testid="evidence-error">{phase.message}</div>
            </div>
          }
          action={
            <Button size="small" icon={<ReloadOutlined />} onClick={() => void pick(phase.file)}>
              {t('ev.restart')}
            </Button>
          }
          closable
          onClose={() => setPhase({ kind: 'idle' })}
          data-testid={phase.kind === 'mismatch' ? 'evidence-mismatch' : 'evidence-failed'}
        />
      )}
      {!busy && phase.kind !== 'offer' && (
        <Button icon={<CloudUploadOutlined />} onClick={() => inputRef.current?.click()} data-testid="evidence-pick">
          {t('ev.upload')}
        </Button>
      )}
      <input
        ref={inputRef}
        type="file"
        style={{ display: 'none' }}
        data-testid="evidence-input"
        onChange={(e) => {
          void pick(e.target.files?.[0]);
          e.target.value = '';
        }}
      />
    </div>
  );
}

function safeJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function ShareModal({ evidence, onClose, onShared }: { evidence: Evidence | null; onClose: () => void; onShared: () => void }) {
  const { t } = useCustodyI18n();
  const { message } = App.useApp();
  const handleError = useCustodyErrors();
  const [form] = Form.useForm<{ orgId: string; expiresAt: dayjs.Dayjs }>();
  const [targets, setTargets] = useState<Agency[]>([]);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (!evidence) return;
    form.resetFields();
    form.setFieldsValue({ expiresAt: dayjs().tz(TIME_ZONE).add(30, 'day').endOf('day') });
    custodyApi.transferTargets().then(setTargets, () => undefined);
  }, [evidence, form]);
  const submit = async () => {
    if (!evidence) return;
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    try {
      await custodyApi.evidence.share(evidence.id, { orgId: v.orgId, expiresAt: shanghaiIso(v.expiresAt)! });
      message.success(t('ev.shared', { org: targets.find((o) => o.id === v.orgId)?.name ?? '' }));
      onShared();
    } catch (e) {
      handleError(e, form, ['orgId', 'expiresAt']);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal open={!!evidence} title={`${t('ev.share')} · ${evidence?.filename ?? ''}`} onCancel={onClose} onOk={submit} confirmLoading={saving} okText={t('ev.share')} destroyOnHidden>
      <Form form={form} layout="vertical">
        <Form.Item name="orgId" label={t('ev.shareTo')} rules={[{ required: true, message: t('f.requiredPick', { label: t('ev.shareTo') }) }]}>
          <Select options={targets.map((o) => ({ value: o.id, label: o.name }))} showSearch optionFilterProp="label" />
        </Form.Item>
        <Form.Item name="expiresAt" label={t('ev.shareUntil')} rules={[{ required: true }]}>
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} disabledDate={(d) => d.isBefore(dayjs().startOf('day'))} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export function EvidencePanel({ itemId, reloadKey, onChanged }: { itemId: string; reloadKey?: number; onChanged?: () => void }) {
  const { t, lang } = useCustodyI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const [list, setList] = useState<Evidence[] | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [sharing, setSharing] = useState<Evidence | null>(null);
  const [version, setVersion] = useState(0);
  const mayUpload = can('custody.register') || can('custody.keep');
  const mayShare = can('custody.register') || can('custody.transfer');

  useEffect(() => {
    let cancelled = false;
    custodyApi.evidence.list(itemId).then(
      (r) => {
        if (cancelled) return;
        setList(r);
        setUnavailable(false);
      },
      (e: unknown) => {
        if (cancelled) return;
        setList([]);
        setUnavailable(e instanceof ApiError && (e.status === 404 || e.status >= 500 || e.status === 0));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [itemId, version, reloadKey]);

  return (
    <div data-testid="evidence-panel">
      <Typography.Paragraph type="secondary" className="cz-ev-hint">
        {t('ev.hint')}
      </Typography.Paragraph>
      {unavailable && <Alert type="warning" showIcon message={t('ev.unavailable')} style={{ marginBottom: 8 }} />}
      {mayUpload && (
        <EvidenceUploader
          itemId={itemId}
          onUploaded={() => {
            setVersion((v) => v + 1);
            onChanged?.();
          }}
        />
      )}
      <Table<Evidence>
        size="small"
        rowKey="id"
        loading={list === null}
        dataSource={list ?? []}
        pagination={false}
        scroll={{ x: 606 + (mayShare ? 170 : 92) }}
        locale={{ emptyText: t('ev.empty') }}
        style={{ marginTop: 8 }}
        columns={[
          {
            title: t('ev.file'),
            dataIndex: 'filename',
            width: 200,
            render: (v: string, r) => (
              <div>
                <div className="cz-ev-name">{v}</div>
                <div className="za-cell-sub">
                  {r.mime} · {fileSize(r.size)}
                </div>
              </div>
            ),
          },
          {
            title: t('ev.sha256'),
            dataIndex: 'sha256',
            width: 136,
            render: (v: string) => (
              <Tooltip title={<span className="za-mono">{v}</span>}>
                <span className="za-mono cz-hash">{v.slice(0, 12)}…</span>
                <Button
                  type="text"
                  size="small"
                  icon={<CopyOutlined />}
                  onClick={async () => {
                    if (await copyText(v)) message.success(t('c.copied'));
                  }}
                  aria-label={t('c.copy')}
                />
              </Tooltip>
            ),
          },
          { title: t('ev.uploader'), key: 'uploader', width: 130, render: (_: unknown, r) => <div>{r.uploader?.name ?? '—'}<div className="za-cell-sub">{formatTime(r.createdAt, lang)}</div></div> },
          {
            title: t('ev.shares'),
            key: 'shares',
            width: 140,
            render: (_: unknown, r) =>
              r.shares?.length ? (
                <Space size={[2, 2]} wrap>
                  {r.shares.map((s) => (
                    <Tooltip key={s.id} title={`${t('ev.shareUntil')} ${formatTime(s.expiresAt, lang)}`}>
                      <Tag color={new Date(s.expiresAt) > new Date() ? 'blue' : 'default'}>{s.orgName}</Tag>
                    </Tooltip>
                  ))}
                </Space>
              ) : (
                <Typography.Text type="secondary">—</Typography.Text>
              ),
          },
          {
            title: t('c.actions'),
            key: 'actions',
            width: mayShare ? 170 : 92,
            render: (_: unknown, r) => (
              <Space size={4}>
                <Tooltip title={t('ev.downloadAudited')}>
                  <Button size="small" icon={<DownloadOutlined />} href={custodyUrls.evidenceDownload(r.id)} target="_blank" rel="noopener" data-testid="evidence-download">
                    {t('ev.download')}
                  </Button>
                </Tooltip>
                {mayShare && (
                  <Button size="small" icon={<ShareAltOutlined />} onClick={() => setSharing(r)} data-testid="evidence-share">
                    {t('ev.share')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <ShareModal
        evidence={sharing}
        onClose={() => setSharing(null)}
        onShared={() => {
          setSharing(null);
          setVersion((v) => v + 1);
        }}
      />
    </div>
  );
}
