/**
 * The phone's back camera reading QR codes: getUserMedia (facingMode environment), a frame
 * drawn on a small canvas about 8 times a second and decoded with jsQR. A code seen again
 * within a moment is reported once. Without a camera (no permission, no device, plain http)
 * it says why, and the page's text box still works.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, Button } from 'antd';
import { CameraOutlined, StopOutlined } from '@ant-design/icons';
import jsQR from 'jsqr';
import { useCustodyI18n } from './custody-i18n';

const FRAME_MS = 125;
/** The decoded frame's longer side: enough for a label at arm's length, cheap on phones. */
const MAX_SIDE = 720;
const REPEAT_MS = 2500;
/** The camera comes back on by itself for someone who used it last time (clerks scanning all day). */
const REMEMBER_KEY = 'zhian.custody.camera';

function remember(on: boolean) {
  try {
    localStorage.setItem(REMEMBER_KEY, on ? '1' : '0');
  } catch {
    /* storage blocked */
  }
}
function remembered(): boolean {
  try {
    return localStorage.getItem(REMEMBER_KEY) === '1';
  } catch {
    return false;
  }
}

export function QrCamera({ onCode, autoStart, paused }: { onCode: (text: string) => void; autoStart?: boolean; paused?: boolean }) {
  const { t } = useCustodyI18n();
  const videoRef = useRef<HTMLVideoElement>(null);
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const streamRef = useRef<MediaStream | null>(null);
  const timer = useRef<ReturnType<typeof setInterval> | null>(null);
  const last = useRef<{ text: string; at: number }>({ text: '', at: 0 });
  const onCodeRef = useRef(onCode);
  onCodeRef.current = onCode;
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [flash, setFlash] = useState(0);

  const release = useCallback(() => {
    if (timer.current) clearInterval(timer.current);
    timer.current = null;
    streamRef.current?.getTracks().forEach((tr) => tr.stop());
    streamRef.current = null;
    if (videoRef.current) videoRef.current.srcObject = null;
    setRunning(false);
  }, []);
  /** Stopped by the user: also next time. */
  const stop = useCallback(() => {
    release();
    remember(false);
  }, [release]);

  const tick = useCallback(() => {
    const video = videoRef.current;
    if (!video || pausedRef.current || video.readyState < 2 || !video.videoWidth) return;
    const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    const w = Math.round(video.videoWidth * scale);
    const h = Math.round(video.videoHeight * scale);
    const canvas = (canvasRef.current ??= document.createElement('canvas'));
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return;
    ctx.drawImage(video, 0, 0, w, h);
    const img = ctx.getImageData(0, 0, w, h);
    const code = jsQR(img.data, w, h, { inversionAttempts: 'dontInvert' });
    if (!code?.data) return;
    const now = Date.now();
    if (code.data === last.current.text && now - last.current.at < REPEAT_MS) {
      last.current.at = now;
      return;
    }
    last.current = { text: code.data, at: now };
    navigator.vibrate?.(60);
    setFlash((f) => f + 1);
    onCodeRef.current(code.data);
  }, []);

  const start = useCallback(async () => {
    setError(null);
    if (!navigator.mediaDevices?.getUserMedia) {
      setError(t('scan.noCamera', { why: t('scan.unsupported') }));
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
      streamRef.current = stream;
      const video = videoRef.current;
      if (!video) {
        stream.getTracks().forEach((tr) => tr.stop());
        return;
      }
      video.srcObject = stream;
      video.setAttribute('playsinline', 'true');
      await video.play().catch(() => undefined);
      setRunning(true);
      remember(true);
      timer.current = setInterval(tick, FRAME_MS);
    } catch (e) {
      const name = (e as { name?: string }).name;
      const why = name === 'NotAllowedError' || name === 'SecurityError' ? t('scan.denied') : name === 'NotFoundError' || name === 'OverconstrainedError' ? t('scan.noDevice') : (e as Error).message || String(e);
      setError(t('scan.noCamera', { why }));
      release();
      remember(false);
    }
  }, [t, tick, release]);

  useEffect(() => {
    if (autoStart || remembered()) void start();
    return release;
    // Start once on mount when asked; stop on unmount.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <div className="cz-camera" data-testid="qr-camera">
      <div className={running ? 'cz-camera-view cz-camera-on' : 'cz-camera-view'}>
        <video ref={videoRef} muted playsInline className="cz-camera-video" />
        {running && (
          <div className="cz-camera-aim" key={flash}>
            <span className={flash ? 'cz-camera-flash' : undefined} />
            <div className="cz-camera-hint">{t('scan.aim')}</div>
          </div>
        )}
        {!running && (
          <div className="cz-camera-off">
            <Button type="primary" size="large" icon={<CameraOutlined />} onClick={() => void start()} data-testid="camera-start">
              {t('scan.startCamera')}
            </Button>
          </div>
        )}
      </div>
      {error && <Alert type="warning" showIcon message={error} className="cz-camera-error" data-testid="camera-error" />}
      {running && (
        <div className="cz-camera-bar">
          <Button icon={<StopOutlined />} onClick={stop} data-testid="camera-stop">
            {t('scan.stopCamera')}
          </Button>
        </div>
      )}
    </div>
  );
}
