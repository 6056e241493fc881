/**
 * Photos for a report or a result: each picked file is uploaded at once (raw body, with
 * progress) and the field's value is the list of stored ids. On phones `capture` opens the
 * camera directly.
 */
import { useEffect, useRef, useState } from 'react';
import { App, Button, Progress, Tooltip } from 'antd';
import { CameraOutlined, CloseOutlined, ExclamationCircleOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { api, ApiError } from '../../api';
import { useI18n } from '../../i18n';

const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp'];
const MAX_MB = 15;

interface Item {
  uid: number;
  file: File;
  preview: string;
  progress: number;
  state: 'uploading' | 'done' | 'error';
  id?: string;
  error?: string;
}

interface Props {
  value?: string[];
  onChange?: (ids: string[]) => void;
  /** Tells the form whether uploads are still running (submit waits for them). */
  onBusyChange?: (busy: boolean) => void;
  max?: number;
  /** Open the phone's camera (input capture="environment"). */
  capture?: boolean;
  testId?: string;
}

let uidSeq = 0;

export function PhotoUploader({ value, onChange, onBusyChange, max = 9, capture, testId = 'photo-input' }: Props) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [items, setItems] = useState<Item[]>([]);
  const inputRef = useRef<HTMLInputElement>(null);
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  // The form was reset: drop our thumbnails too.
  useEffect(() => {
    if ((value?.length ?? 0) === 0 && itemsRef.current.some((i) => i.state === 'done')) {
      itemsRef.current.forEach((i) => URL.revokeObjectURL(i.preview));
      setItems([]);
    }
  }, [value]);

  useEffect(() => () => itemsRef.current.forEach((i) => URL.revokeObjectURL(i.preview)), []);

  const busy = items.some((i) => i.state === 'uploading');
  useEffect(() => onBusyChange?.(busy), [busy, onBusyChange]);

  // The field's value: the ids of the finished uploads, told only when they change.
  const published = useRef('');
  useEffect(() => {
    const ids = items.filter((i) => i.state === 'done' && i.id).map((i) => i.id!);
    const key = ids.join(',');
    if (key === published.current) return;
    published.current = key;
    onChangeRef.current?.(ids);
  }, [items]);

  const update = (uid: number, patch: Partial<Item>) => {
    setItems((prev) => prev.map((i) => (i.uid === uid ? { ...i, ...patch } : i)));
  };

  const upload = (item: Item) => {
    update(item.uid, { state: 'uploading', progress: 0, error: undefined });
    api.files
      .uploadPhoto(item.file, (f) => update(item.uid, { progress: Math.round(f * 100) }))
      .then((stored) => update(item.uid, { state: 'done', id: stored.id, progress: 100 }))
      .catch((e: unknown) => update(item.uid, { state: 'error', error: e instanceof ApiError ? e.message : String(e) }));
  };

  const pick = (files: FileList | null) => {
    if (!files?.length) return;
    const room = max - items.length;
    const list = [...files];
    if (list.length > room) message.warning(t('photo.max', { n: max }));
    const added: Item[] = [];
    for (const file of list.slice(0, Math.max(0, room))) {
      if (file.type && !ACCEPTED.includes(file.type)) {
        message.error(`${file.name}: ${t('photo.badType')}`);
        continue;
      }
      if (file.size > MAX_MB * 1024 * 1024) {
        message.error(`${file.name}: ${t('photo.tooBig', { n: MAX_MB })}`);
        continue;
      }
      added.push({ uid: ++uidSeq, file, preview: URL.createObjectURL(file), progress: 0, state: 'uploading' });
    }
    if (!added.length) return;
    setItems((prev) => [...prev, ...added]);
    added.forEach(upload);
  };

  const remove = (uid: number) => {
    setItems((prev) => {
      const gone = prev.find((i) => i.uid === uid);
      if (gone) URL.revokeObjectURL(gone.preview);
      return prev.filter((i) => i.uid !== uid);
    });
  };

  return (
    <div className="za-photos" data-testid="photo-uploader">
      {items.map((i) => (
        <div key={i.uid} className={`za-photo za-photo-${i.state}`}>
          <img src={i.preview} alt={i.file.name} />
          {i.state === 'uploading' && (
            <div className="za-photo-mask">
              <Progress type="circle" percent={i.progress} size={40} strokeColor="#fff" trailColor="rgba(255,255,255,0.3)" format={(p) => <span style={{ color: '#fff', fontSize: 11 }}>{p}%</span>} />
            </div>
          )}
          {i.state === 'error' && (
            <Tooltip title={`${t('photo.failed')}：${i.error ?? ''}`}>
              <div className="za-photo-mask za-photo-error">
                <ExclamationCircleOutlined />
                <Button size="small" type="link" icon={<ReloadOutlined />} onClick={() => upload(i)} style={{ color: '#fff' }}>
                  {t('photo.retry')}
                </Button>
              </div>
            </Tooltip>
          )}
          <button type="button" className="za-photo-remove" aria-label={t('photo.remove')} onClick={() => remove(i.uid)}>
            <CloseOutlined />
          </button>
        </div>
      ))}
      {items.length < max && (
        <button type="button" className="za-photo-add" onClick={() => inputRef.current?.click()}>
          {capture ? <CameraOutlined /> : <PlusOutlined />}
          <span>{capture ? t('photo.camera') : t('photo.add')}</span>
        </button>
      )}
      <input
        ref={inputRef}
        type="file"
        accept={capture ? 'image/*' : ACCEPTED.join(',')}
        multiple
        {...(capture ? { capture: 'environment' as const } : {})}
        style={{ display: 'none' }}
        data-testid={testId}
        onChange={(e) => {
          pick(e.target.files);
          e.target.value = '';
        }}
      />
    </div>
  );
}
