/**
 * 进度查询 — /r/:code shows a resident's report as the public sees it (status, steps,
 * department, deadline, result, photos) and takes the rating once it is closed; /r alone asks
 * for the code and lists the reports filed from this device. Nothing personal is shown: the
 * API gives none.
 */
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { Alert, App, Button, Image, Input, Result, Skeleton, Tag, Timeline } from 'antd';
import {
  CopyOutlined,
  EditOutlined,
  FileSearchOutlined,
  FrownOutlined,
  MehOutlined,
  ReloadOutlined,
  RightOutlined,
  SmileOutlined,
} from '@ant-design/icons';
import { forgetReport, myReports, normalizeCode, residentApi, ResidentApiError, type MyReport, type PublicStatus, type Rating } from './resident-api';
import { actionLabel, formatWhen, statusText, useResidentI18n, type RKey, type RT } from './resident-i18n';
import { copyText, FieldError, ResidentShell } from './ResidentShell';

const CODE_RE = /^[A-Z0-9]{4,20}$/;

/** The main line of the closed loop, and the step each public event completes. */
const FLOW = ['reported', 'accepted', 'registered', 'dispatched', 'handled', 'verified', 'closed'] as const;
const STEP_KEYS: RKey[] = ['step.submitted', 'step.accept', 'step.register', 'step.dispatch', 'step.handle', 'step.verify', 'step.close'];
const ACTION_STATUS: Record<string, (typeof FLOW)[number]> = {
  create: 'reported',
  accept: 'accepted',
  register: 'registered',
  dispatch: 'dispatched',
  handle: 'handled',
  verify: 'verified',
  close: 'closed',
  reopen: 'dispatched',
};

export default function StatusPage() {
  const { code: param } = useParams();
  const { t } = useResidentI18n();
  const code = param ? normalizeCode(param) : '';

  useEffect(() => {
    const previous = document.title;
    const id = setTimeout(() => (document.title = `${t('status.title')} · ${t('brand')}`), 0);
    return () => {
      clearTimeout(id);
      document.title = previous;
    };
  }, [t]);

  return <ResidentShell>{code ? <StatusView key={code} code={code} /> : <Lookup />}</ResidentShell>;
}

// ---------------------------------------------------------------- /r

function CodeForm({ initial = '', autoFocus }: { initial?: string; autoFocus?: boolean }) {
  const { t } = useResidentI18n();
  const navigate = useNavigate();
  const [value, setValue] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const c = normalizeCode(value);
    if (!CODE_RE.test(c)) {
      setError(t('status.codeInvalid'));
      return;
    }
    setError(null);
    navigate(`/r/${c}`);
  };
  return (
    <form onSubmit={submit} noValidate>
      <div className="rz-code-form">
        <Input
          size="large"
          value={value}
          onChange={(e) => {
            setValue(e.target.value.toUpperCase());
            setError(null);
          }}
          placeholder={t('status.codePlaceholder')}
          autoCapitalize="characters"
          autoComplete="off"
          autoCorrect="off"
          spellCheck={false}
          maxLength={24}
          autoFocus={autoFocus}
          status={error ? 'error' : undefined}
          className="rz-code-input"
          aria-label={t('status.enterCode')}
          data-testid="code-input"
        />
        <Button type="primary" size="large" htmlType="submit" data-testid="code-submit">
          {t('status.query')}
        </Button>
      </div>
      {error && <FieldError text={error} testId="error-code" />}
    </form>
  );
}

function RecentList({ exclude }: { exclude?: string }) {
  const { t, lang } = useResidentI18n();
  const [list, setList] = useState<MyReport[]>(() => myReports());
  const shown = list.filter((r) => r.code !== exclude);
  if (!shown.length) return null;
  return (
    <section className="rz-card">
      <div className="rz-sec-title">
        <FileSearchOutlined className="rz-sec-icon" />
        <span className="rz-sec-text">{t('status.recent')}</span>
      </div>
      <ul className="rz-recent">
        {shown.map((r) => (
          <li key={r.code}>
            <Link to={`/r/${r.code}`} className="rz-recent-item" data-testid="recent-report">
              <span className="rz-recent-main">
                <span className="rz-mono">{r.code}</span>
                {r.summary && <Tag bordered={false}>{r.summary}</Tag>}
              </span>
              <span className="rz-recent-sub">{formatWhen(r.at, lang)}</span>
              <RightOutlined className="rz-muted" />
            </Link>
            <button
              type="button"
              className="rz-recent-forget"
              aria-label={t('status.forget')}
              onClick={() => {
                forgetReport(r.code);
                setList(myReports());
              }}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Lookup() {
  const { t } = useResidentI18n();
  return (
    <>
      <h1 className="rz-h1">{t('status.title')}</h1>
      <section className="rz-card">
        <div className="rz-label">{t('status.enterCode')}</div>
        <CodeForm autoFocus />
      </section>
      <RecentList />
      <NewReportLink />
    </>
  );
}

function NewReportLink() {
  const { t } = useResidentI18n();
  return (
    <div className="rz-bottom-link">
      <Link to="/report">
        <EditOutlined /> {t('status.newReport')} <RightOutlined />
      </Link>
    </div>
  );
}

// ---------------------------------------------------------------- /r/:code

function StatusView({ code }: { code: string }) {
  const { t, lang } = useResidentI18n();
  const { message } = App.useApp();
  const [data, setData] = useState<PublicStatus | null>(null);
  const [error, setError] = useState<'notFound' | 'failed' | null>(null);
  const [loading, setLoading] = useState(true);
  const [rated, setRated] = useState<{ rating: Rating; reopened: boolean } | null>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      setLoading(true);
      try {
        const s = await residentApi.status(code, signal);
        setData(s);
        setError(null);
      } catch (e) {
        if ((e as { name?: string })?.name === 'AbortError') return;
        setError(e instanceof ResidentApiError && (e.status === 404 || e.status === 400) ? 'notFound' : 'failed');
      } finally {
        if (!signal?.aborted) setLoading(false);
      }
    },
    [code],
  );

  useEffect(() => {
    const ac = new AbortController();
    void load(ac.signal);
    return () => ac.abort();
  }, [load]);

  if (!data && loading)
    return (
      <>
        <h1 className="rz-h1">{t('status.title')}</h1>
        <section className="rz-card">
          <Skeleton active paragraph={{ rows: 5 }} />
        </section>
      </>
    );

  if (!data)
    return (
      <>
        <h1 className="rz-h1">{t('status.title')}</h1>
        <section className="rz-card">
          {error === 'notFound' ? (
            <Alert type="warning" showIcon message={t('status.notFound')} className="rz-gap" data-testid="status-not-found" />
          ) : (
            <Alert
              type="error"
              showIcon
              message={t('status.loadFailed')}
              className="rz-gap"
              action={
                <Button size="small" onClick={() => void load()}>
                  {t('status.retry')}
                </Button>
              }
            />
          )}
          <div className="rz-label">{t('status.enterCode')}</div>
          <CodeForm initial={code} />
        </section>
        <RecentList exclude={code} />
        <NewReportLink />
      </>
    );

  const s = data;
  const merged = s.timeline.some((e) => e.action === 'merge');
  const isOpen = !['closed', 'voided'].includes(s.status);
  const overdue = isOpen && s.status !== 'suspended' && !!s.expectedAt && new Date(s.expectedAt).getTime() < Date.now();
  const reportPhotos = s.photos.filter((p) => p.kind === 'report');
  const resultPhotos = s.photos.filter((p) => p.kind === 'result');

  return (
    <>
      <div className="rz-status-head">
        <h1 className="rz-h1">{t('status.title')}</h1>
        <Button icon={<ReloadOutlined />} loading={loading} onClick={() => void load()} data-testid="status-refresh">
          {t('status.refresh')}
        </Button>
      </div>

      <section className="rz-card rz-summary">
        <div className="rz-summary-top">
          <Tag color={statusColor(s.status)} className="rz-status-tag" data-testid="status-label">
            {statusText(lang, s.status, s.statusLabel)}
          </Tag>
          <span className="rz-muted rz-small">{formatWhen(s.createdAt, lang)}</span>
        </div>
        <div className="rz-code-line">
          <span className="rz-muted">{t('status.code')}</span>
          <span className="rz-mono rz-code-small" data-testid="status-code">
            {s.trackingCode}
          </span>
          <Button
            type="text"
            size="small"
            icon={<CopyOutlined />}
            aria-label={t('status.copy')}
            onClick={async () => {
              if (await copyText(s.trackingCode)) message.success(t('done.copied'));
              else message.warning(t('done.copyFailed'));
            }}
          />
        </div>
        {s.status === 'suspended' && <Alert type="warning" showIcon message={t('status.suspended')} className="rz-gap-top" />}
        {s.status === 'voided' && <Alert type="info" showIcon message={merged ? t('status.merged') : t('status.voided')} className="rz-gap-top" />}
        {overdue && <Alert type="info" showIcon message={t('status.overdueHint')} className="rz-gap-top" />}
        <Stepper {...stepsOf(s, t)} />
        <dl className="rz-facts">
          <Fact label={t('status.number')} value={<span className="rz-mono">{s.number}</span>} />
          <Fact label={t('status.category')} value={s.categoryName ?? t('status.pending')} testId="status-category" />
          <Fact label={t('status.area')} value={s.area || '—'} />
          <Fact label={t('status.dept')} value={s.deptName ?? t('status.pendingDept')} testId="status-dept" />
          <Fact label={t('status.created')} value={formatWhen(s.createdAt, lang)} />
          {s.closedAt ? (
            <Fact label={t('status.closed')} value={formatWhen(s.closedAt, lang)} />
          ) : s.expectedAt && isOpen ? (
            <Fact label={t('status.expected')} value={formatWhen(s.expectedAt, lang)} testId="status-expected" />
          ) : null}
        </dl>
      </section>

      {(s.resultNote || resultPhotos.length > 0) && (
        <section className="rz-card rz-result" data-testid="status-result">
          <div className="rz-sec-title">
            <span className="rz-sec-text">{t('status.result')}</span>
          </div>
          {s.resultNote && <p className="rz-result-note">{s.resultNote}</p>}
          {resultPhotos.length > 0 && <PhotoGrid photos={resultPhotos} title={t('status.resultPhotos')} />}
        </section>
      )}

      {(s.canRate || rated) && (
        <RatingBox
          code={s.trackingCode}
          canRate={s.canRate}
          rated={rated}
          onRated={(r) => {
            setRated(r);
            void load();
          }}
        />
      )}
      {!s.canRate && !rated && s.rating && (
        <section className="rz-card rz-rated" data-testid="status-rating">
          {t('rate.yours', { r: t(`rate.${s.rating}` as RKey) })}
        </section>
      )}

      <section className="rz-card">
        <div className="rz-sec-title">
          <span className="rz-sec-text">{t('status.history')}</span>
        </div>
        <Timeline
          className="rz-timeline"
          items={[...s.timeline].reverse().map((e, i) => ({
            color: i === 0 ? 'blue' : 'gray',
            children: (
              <div>
                <div className={i === 0 ? 'rz-tl-label rz-tl-now' : 'rz-tl-label'}>{actionLabel(lang, e.action, e.label)}</div>
                <div className="rz-muted rz-small">{formatWhen(e.at, lang)}</div>
              </div>
            ),
          }))}
        />
      </section>

      {reportPhotos.length > 0 && (
        <section className="rz-card">
          <PhotoGrid photos={reportPhotos} title={t('status.myPhotos')} />
        </section>
      )}

      <NewReportLink />
    </>
  );
}

function Fact({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div className="rz-fact">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

function PhotoGrid({ photos, title }: { photos: PublicStatus['photos']; title: string }) {
  return (
    <div>
      <div className="rz-photo-title">{title}</div>
      <Image.PreviewGroup>
        <div className="rz-photos">
          {photos.map((p) => (
            <div key={p.id} className="rz-photo rz-photo-view">
              <Image src={p.url} alt="" width="100%" height="100%" style={{ objectFit: 'cover' }} />
            </div>
          ))}
        </div>
      </Image.PreviewGroup>
    </div>
  );
}

function statusColor(status: string): string {
  if (status === 'closed') return 'success';
  if (status === 'voided') return 'default';
  if (status === 'suspended') return 'warning';
  return 'processing';
}

/** Where the case stands on 已提交 → 受理 → 立案 → 派遣 → 处置 → 核查 → 结案. */
function stepsOf(s: PublicStatus, t: RT): { current: number; state: 'process' | 'finish' | 'wait' | 'error'; titles: string[] } {
  let reached: (typeof FLOW)[number] = 'reported';
  if ((FLOW as readonly string[]).includes(s.status)) reached = s.status as (typeof FLOW)[number];
  else for (const e of s.timeline) reached = ACTION_STATUS[e.action] ?? reached; // suspended, voided: the last step reached
  const idx = FLOW.indexOf(reached);
  const titles = STEP_KEYS.map((k) => t(k));
  if (s.status === 'closed') return { current: FLOW.length - 1, state: 'finish', titles };
  const current = Math.min(idx + 1, FLOW.length - 1);
  const state = s.status === 'voided' ? 'error' : s.status === 'suspended' ? 'wait' : 'process';
  return { current, state, titles };
}

/** Seven short steps in one row: fits a 360 px phone, which antd's dotted Steps does not. */
function Stepper({ current, state, titles }: { current: number; state: 'process' | 'finish' | 'wait' | 'error'; titles: string[] }) {
  return (
    <ol className="rz-stepper" data-testid="status-steps" data-current={current} data-state={state}>
      {titles.map((title, i) => {
        const cls = i < current || (i === current && state === 'finish') ? 'done' : i === current ? state : 'todo';
        return (
          <li key={title} className={`rz-step rz-step-${cls}`} aria-current={i === current ? 'step' : undefined}>
            <span className="rz-step-dot" />
            <span className="rz-step-title">{title}</span>
          </li>
        );
      })}
    </ol>
  );
}

const RATINGS: { value: Rating; icon: ReactNode }[] = [
  { value: 'satisfied', icon: <SmileOutlined /> },
  { value: 'basically_satisfied', icon: <MehOutlined /> },
  { value: 'dissatisfied', icon: <FrownOutlined /> },
];

function RatingBox({
  code,
  canRate,
  rated,
  onRated,
}: {
  code: string;
  canRate: boolean;
  rated: { rating: Rating; reopened: boolean } | null;
  onRated: (r: { rating: Rating; reopened: boolean }) => void;
}) {
  const { t } = useResidentI18n();
  const { message } = App.useApp();
  const [choice, setChoice] = useState<Rating | null>(null);
  const [comment, setComment] = useState('');
  const [sending, setSending] = useState(false);

  if (rated)
    return (
      <section className="rz-card" data-testid="rate-thanks">
        <Result
          status="success"
          title={t('rate.thanks')}
          subTitle={t('rate.yours', { r: t(`rate.${rated.rating}`) })}
          className="rz-thanks"
          extra={rated.reopened ? <Alert type="info" showIcon message={t('rate.reopened')} data-testid="rate-reopened" /> : undefined}
        />
      </section>
    );
  if (!canRate) return null;

  const send = async () => {
    if (!choice) return;
    setSending(true);
    try {
      const r = await residentApi.rate(code, choice, comment);
      onRated({ rating: r.rating, reopened: r.reopened });
    } catch (e) {
      if (e instanceof ResidentApiError && e.status === 409) {
        message.warning(t('rate.already'));
        onRated({ rating: choice, reopened: false });
      } else message.error(t('rate.failed'));
    } finally {
      setSending(false);
    }
  };

  return (
    <section className="rz-card rz-rate" data-testid="rate-box">
      <div className="rz-sec-title">
        <span className="rz-sec-text">{t('rate.title')}</span>
      </div>
      <div className="rz-rate-buttons" role="radiogroup" aria-label={t('rate.title')}>
        {RATINGS.map((r) => (
          <button
            key={r.value}
            type="button"
            role="radio"
            aria-checked={choice === r.value}
            className={`rz-rate-btn rz-rate-${r.value}${choice === r.value ? ' rz-rate-on' : ''}`}
            onClick={() => setChoice(r.value)}
            data-testid={`rate-${r.value}`}
          >
            <span className="rz-rate-icon">{r.icon}</span>
            <span>{t(`rate.${r.value}`)}</span>
          </button>
        ))}
      </div>
      {choice && (
        <>
          <Input.TextArea
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            maxLength={500}
            showCount
            autoSize={{ minRows: 2, maxRows: 6 }}
            placeholder={choice === 'dissatisfied' ? t('rate.commentDissatisfied') : t('rate.comment')}
            className="rz-rate-comment"
            data-testid="rate-comment"
          />
          <Button type="primary" size="large" block loading={sending} onClick={send} data-testid="rate-submit">
            {t('rate.submit')}
          </Button>
        </>
      )}
    </section>
  );
}

