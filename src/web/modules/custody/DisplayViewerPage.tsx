/**
 * /display/:token — the public page of a remote display (远程示证): no account, outside the
 * console. It shows the chosen items' photos (watermarked by the server) and their digital
 * evidence (images and videos played in the page), under a watermark of the viewer's name
 * repeated across the whole page. Nothing offers a download. An expired or revoked link
 * answers 410 / 404: "链接已失效".
 */
import { useEffect, useMemo, useState } from 'react';
import { useParams } from 'react-router-dom';
import { Alert, Button, Empty, Result, Skeleton, Tag, Typography } from 'antd';
import { FileOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { API_BASE } from '../../api';
import { Logo } from '../../app/Logo';
import { useI18n } from '../../i18n';
import { formatTime } from '../../format';
import type { PublicDisplay } from './custody-api';
import { useCustodyI18n } from './custody-i18n';
import { fileSize } from './custody-meta';
import './custody.css';

type State = { kind: 'loading' } | { kind: 'gone' } | { kind: 'error' } | { kind: 'ok'; data: PublicDisplay };

/** A tile of diagonal text as an SVG background (repeated by CSS over the page). */
function watermarkUrl(text: string): string {
  const safe = text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
  // Wide enough for the whole line (name, time, purpose) once turned.
  const w = Math.max(360, Math.min(900, Math.round(text.length * 15 * 0.9) + 80));
  const h = Math.round(w * 0.58);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><text x="${w / 2}" y="${h / 2}" text-anchor="middle" dominant-baseline="middle" transform="rotate(-28 ${w / 2} ${h / 2})" font-family="PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif" font-size="16" fill="rgba(15,23,42,0.13)">${safe}</text></svg>`;
  return `url("data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}")`;
}

export default function DisplayViewerPage() {
  const { token = '' } = useParams<{ token: string }>();
  const { t, lang } = useCustodyI18n();
  const { setLang } = useI18n();
  const [state, setState] = useState<State>({ kind: 'loading' });

  useEffect(() => {
    let cancelled = false;
    fetch(`${API_BASE}/public/custody-display/${encodeURIComponent(token)}`, { headers: { accept: 'application/json' }, credentials: 'omit' })
      .then(async (res) => {
        if (cancelled) return;
        if (res.status === 404 || res.status === 410) return setState({ kind: 'gone' });
        if (!res.ok) return setState({ kind: 'error' });
        setState({ kind: 'ok', data: (await res.json()) as PublicDisplay });
      })
      .catch(() => !cancelled && setState({ kind: 'error' }));
    return () => {
      cancelled = true;
    };
  }, [token]);

  useEffect(() => {
    const previous = document.title;
    document.title = t('pv.brand');
    return () => {
      document.title = previous;
    };
  }, [t]);

  // The link stops working at its expiry even while the page stays open.
  useEffect(() => {
    if (state.kind !== 'ok') return;
    const ms = new Date(state.data.expiresAt).getTime() - Date.now();
    if (ms <= 0) {
      setState({ kind: 'gone' });
      return;
    }
    const id = setTimeout(() => setState({ kind: 'gone' }), Math.min(ms, 2 ** 31 - 1));
    return () => clearTimeout(id);
  }, [state]);

  const mark = useMemo(() => (state.kind === 'ok' ? watermarkUrl(state.data.watermark || state.data.viewerName) : undefined), [state]);

  return (
    <div className="cz-pv" onContextMenu={(e) => e.preventDefault()} data-testid="display-viewer">
      <header className="cz-pv-top">
        <div className="cz-pv-top-inner">
          <span className="cz-pv-brand">
            <Logo size={22} />
            {t('pv.brand')}
          </span>
          <Button type="text" size="small" className="cz-pv-lang" onClick={() => setLang(lang === 'zh-CN' ? 'en-US' : 'zh-CN')}>
            {lang === 'zh-CN' ? 'EN' : '中文'}
          </Button>
        </div>
      </header>
      <main className="cz-pv-main">
        {state.kind === 'loading' && <Skeleton active paragraph={{ rows: 8 }} />}
        {state.kind === 'gone' && <Result status="warning" title={t('pv.gone')} subTitle={t('pv.goneHint')} data-testid="display-gone" />}
        {state.kind === 'error' && <Result status="error" title={t('pv.loadFailed')} />}
        {state.kind === 'ok' && (
          <>
            <div className="cz-pv-head">
              <h1 className="cz-pv-title">{state.data.title}</h1>
              <div className="cz-pv-meta">
                <span>{t('pv.viewer', { name: state.data.viewerName })}</span>
                <span>{t('pv.expires', { t: formatTime(state.data.expiresAt, lang) })}</span>
              </div>
              <Alert type="warning" showIcon icon={<SafetyCertificateOutlined />} message={t('pv.confidential')} className="cz-pv-notice" />
            </div>
            {state.data.items.map((item) => (
              <section key={item.code} className="cz-pv-item" data-testid="display-item">
                <div className="cz-pv-item-head">
                  <span className="za-mono cz-pv-code">{item.code}</span>
                  <span className="cz-pv-name">{item.name}</span>
                  <Tag bordered={false}>{item.typeLabel}</Tag>
                </div>
                <div className="cz-pv-case">{item.caseNumber}</div>
                {item.description && <Typography.Paragraph className="cz-pv-desc">{item.description}</Typography.Paragraph>}
                {item.photos.length + item.evidence.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('pv.noMedia')} />}
                {item.photos.length > 0 && (
                  <div className="cz-pv-photos">
                    {item.photos.map((p) => (
                      <img key={p.url} src={p.url} alt={item.name} draggable={false} loading="lazy" />
                    ))}
                  </div>
                )}
                {item.evidence.length > 0 && (
                  <div className="cz-pv-evidence">
                    <div className="cz-pv-section">{t('pv.evidence')}</div>
                    {item.evidence.map((ev) => (
                      <figure key={ev.id} className="cz-pv-media">
                        {ev.mime.startsWith('video/') ? (
                          <video controls preload="metadata" src={ev.url} controlsList="nodownload noremoteplayback" disablePictureInPicture playsInline />
                        ) : ev.mime.startsWith('image/') ? (
                          <img src={ev.url} alt={ev.filename} draggable={false} loading="lazy" />
                        ) : ev.mime.startsWith('audio/') ? (
                          <audio controls preload="metadata" src={ev.url} controlsList="nodownload" />
                        ) : (
                          <div className="cz-pv-file">
                            <FileOutlined /> {ev.filename}
                          </div>
                        )}
                        <figcaption>
                          {ev.filename} · {fileSize(ev.size)}
                        </figcaption>
                      </figure>
                    ))}
                  </div>
                )}
              </section>
            ))}
          </>
        )}
      </main>
      {mark && <div className="cz-pv-watermark" style={{ backgroundImage: mark }} aria-hidden data-testid="display-watermark" />}
    </div>
  );
}
