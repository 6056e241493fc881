/**
 * 我要反映 — a resident reports a problem from a phone, without an account: what, photos,
 * where, a phone number for the follow-up call. The answer is a tracking code for /r/CODE.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import { useNavigate } from 'react-router-dom';
import { Alert, App, AutoComplete, Button, Drawer, Input, Progress, Spin, Tag } from 'antd';
import {
  AimOutlined,
  CameraOutlined,
  CheckCircleFilled,
  CloseOutlined,
  CopyOutlined,
  EnvironmentFilled,
  ExclamationCircleFilled,
  LockOutlined,
  ReloadOutlined,
  RightOutlined,
  SearchOutlined,
} from '@ant-design/icons';
import {
  preparePhoto,
  PHOTO_LIMIT_BYTES,
  rememberReport,
  residentApi,
  ResidentApiError,
  uploadPhoto,
  type AddressSuggestion,
  type Category,
  type Classification,
  type GridProps,
  type ReportCreated,
  type UploadHandle,
} from './resident-api';
import { fieldMessage, useResidentI18n, type RT } from './resident-i18n';
import { gridAt, gridPlaceText, shortAddress } from './resident-geo';
import { FieldError, ResidentShell, copyText } from './ResidentShell';

const ReportMap = lazy(() => import('./ReportMap'));

const MAX_TEXT = 2000;
const MAX_PHOTOS = 9;
const DRAFT_KEY = 'zhian.reportDraft';
const MOBILE_RE = /^1[3-9]\d{9}$/;

type FieldKey = 'description' | 'photos' | 'location' | 'phone' | 'name' | 'category';

interface PhotoItem {
  key: string;
  file: File;
  previewUrl: string;
  status: 'queued' | 'preparing' | 'uploading' | 'done' | 'error';
  progress: number;
  id?: string;
  error?: string;
  /** False when trying again cannot help (not an image, too large). */
  retryable?: boolean;
}

interface Pin {
  lng: number;
  lat: number;
  source: 'gps' | 'map' | 'address';
  accuracy?: number;
}

/** Runs at most `n` tasks at once (uploads on a phone's connection). */
function limiter(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

function readDraft(): string {
  try {
    return sessionStorage.getItem(DRAFT_KEY) ?? '';
  } catch {
    return '';
  }
}

export default function ReportPage() {
  const { t, lang } = useResidentI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();

  // ------------------------------------------------------------ state
  const [description, setDescription] = useState(readDraft);
  const [suggestion, setSuggestion] = useState<Classification | null>(null);
  const [classifying, setClassifying] = useState(false);
  const [manualCategory, setManualCategory] = useState<Category | null>(null);
  const [pickerOpen, setPickerOpen] = useState(false);
  const [categories, setCategories] = useState<Category[] | null>(null);
  const [categoriesFailed, setCategoriesFailed] = useState(false);

  const [photos, setPhotos] = useState<PhotoItem[]>([]);
  const photosRef = useRef(photos);
  photosRef.current = photos;
  const handles = useRef(new Map<string, UploadHandle>());
  const removed = useRef(new Set<string>());
  const runUpload = useRef(limiter(2)).current;

  const [pin, setPin] = useState<Pin | null>(null);
  const [flyKey, setFlyKey] = useState(0);
  const [locating, setLocating] = useState(false);
  const [address, setAddress] = useState('');
  const [addressPicked, setAddressPicked] = useState<string | null>(null);
  const [addressOptions, setAddressOptions] = useState<AddressSuggestion[]>([]);
  const [place, setPlace] = useState<GridProps | 'outside' | null>(null);

  const [phone, setPhone] = useState('');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<Partial<Record<FieldKey, string>>>({});
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [done, setDone] = useState<ReportCreated | null>(null);

  useEffect(() => {
    const previous = document.title;
    const id = setTimeout(() => (document.title = `${t('report.title')} · ${t('brand')}`), 0);
    return () => {
      clearTimeout(id);
      document.title = previous;
    };
  }, [t]);

  // Revoke previews and stop uploads when the page goes away.
  useEffect(() => {
    const hs = handles.current;
    return () => {
      hs.forEach((h) => h.abort());
      photosRef.current.forEach((p) => URL.revokeObjectURL(p.previewUrl));
    };
  }, []);

  const setError = useCallback((field: FieldKey, text: string | null) => {
    setErrors((e) => {
      if ((e[field] ?? null) === text) return e;
      const next = { ...e };
      if (text) next[field] = text;
      else delete next[field];
      return next;
    });
  }, []);

  // ------------------------------------------------------------ 1 description & category
  useEffect(() => {
    try {
      if (description) sessionStorage.setItem(DRAFT_KEY, description);
      else sessionStorage.removeItem(DRAFT_KEY);
    } catch {
      /* ignore */
    }
  }, [description]);

  useEffect(() => {
    residentApi
      .categories()
      .then(setCategories)
      .catch(() => setCategoriesFailed(true));
  }, []);

  const debouncedText = useDebounced(description.trim(), 600);
  useEffect(() => {
    if (debouncedText.length < 4) {
      setSuggestion(null);
      setClassifying(false);
      return;
    }
    const ac = new AbortController();
    setClassifying(true);
    residentApi
      .classify(debouncedText, ac.signal)
      .then((c) => setSuggestion(c))
      .catch(() => {
        /* a suggestion is a convenience: stay silent */
      })
      .finally(() => {
        if (!ac.signal.aborted) setClassifying(false);
      });
    return () => ac.abort();
  }, [debouncedText]);

  const byCode = useMemo(() => new Map((categories ?? []).map((c) => [c.code, c])), [categories]);
  const categoryLabel = useCallback(
    (code: string, fallback: string) => {
      const c = byCode.get(code);
      const parent = c?.parentCode ? byCode.get(c.parentCode) : null;
      return parent ? `${parent.name} · ${c!.name}` : (c?.name ?? fallback);
    },
    [byCode],
  );

  // ------------------------------------------------------------ 2 photos
  const patchPhoto = useCallback((key: string, patch: Partial<PhotoItem>) => {
    setPhotos((ps) => ps.map((p) => (p.key === key ? { ...p, ...patch } : p)));
  }, []);

  const startUpload = useCallback(
    (key: string, file: File) => {
      removed.current.delete(key);
      patchPhoto(key, { status: 'queued', progress: 0, error: undefined, id: undefined });
      void runUpload(async () => {
        if (removed.current.has(key)) return;
        patchPhoto(key, { status: 'preparing' });
        let blob: Blob;
        try {
          blob = await preparePhoto(file);
        } catch {
          blob = file;
        }
        if (removed.current.has(key)) return;
        if (blob.size > PHOTO_LIMIT_BYTES) {
          patchPhoto(key, { status: 'error', error: t('photos.tooLarge'), retryable: false });
          return;
        }
        patchPhoto(key, { status: 'uploading', progress: 0 });
        const h = uploadPhoto(blob, (f) => patchPhoto(key, { progress: f }));
        handles.current.set(key, h);
        try {
          const stored = await h.promise;
          patchPhoto(key, { status: 'done', progress: 1, id: stored.id });
        } catch (e) {
          if (e instanceof ResidentApiError && e.code === 'aborted') return;
          const status = e instanceof ResidentApiError ? e.status : 0;
          const text = status === 413 ? t('photos.tooLarge') : status === 400 || status === 415 ? t('photos.notImage') : t('photos.failed');
          patchPhoto(key, { status: 'error', error: text, retryable: ![400, 413, 415].includes(status) });
        } finally {
          handles.current.delete(key);
        }
      });
    },
    [patchPhoto, runUpload, t],
  );

  const onFiles = (e: ChangeEvent<HTMLInputElement>) => {
    const input = e.target;
    const files = Array.from(input.files ?? []);
    input.value = ''; // the same photo may be chosen again after removing it
    if (!files.length) return;
    const room = MAX_PHOTOS - photosRef.current.length;
    const taken = files.slice(0, Math.max(0, room));
    if (files.length > taken.length) message.warning(t('photos.tooMany', { n: files.length - taken.length }));
    const items: PhotoItem[] = taken.map((file) => ({
      key: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      file,
      previewUrl: URL.createObjectURL(file),
      status: 'queued',
      progress: 0,
    }));
    setPhotos((ps) => [...ps, ...items]);
    setError('photos', null);
    items.forEach((it) => startUpload(it.key, it.file));
  };

  const removePhoto = (key: string) => {
    removed.current.add(key);
    handles.current.get(key)?.abort();
    handles.current.delete(key);
    const item = photosRef.current.find((p) => p.key === key);
    if (item) URL.revokeObjectURL(item.previewUrl);
    setPhotos((ps) => ps.filter((p) => p.key !== key));
  };

  const uploading = photos.some((p) => p.status === 'queued' || p.status === 'preparing' || p.status === 'uploading');
  const photoFailed = photos.some((p) => p.status === 'error');
  useEffect(() => {
    if (!photoFailed) setError('photos', null);
  }, [photoFailed, setError]);

  // ------------------------------------------------------------ 3 location
  useEffect(() => {
    if (!pin) {
      setPlace(null);
      return;
    }
    let cancelled = false;
    residentApi
      .grids()
      .then((fc) => {
        if (!cancelled) setPlace(gridAt(fc, pin.lng, pin.lat) ?? 'outside');
      })
      .catch(() => !cancelled && setPlace(null));
    return () => {
      cancelled = true;
    };
  }, [pin]);

  useEffect(() => {
    if (place === 'outside') setError('location', t('location.outside'));
    else if (place) setError('location', null);
  }, [place, setError, t]);

  const locateMe = () => {
    if (!('geolocation' in navigator)) {
      setError('location', t('location.unsupported'));
      return;
    }
    setLocating(true);
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setLocating(false);
        const lng = Math.round(pos.coords.longitude * 1e6) / 1e6;
        const lat = Math.round(pos.coords.latitude * 1e6) / 1e6;
        // The browser gives WGS-84, which is what the server expects: nothing to convert.
        setPin({ lng, lat, source: 'gps', accuracy: pos.coords.accuracy });
        if (addressPicked && address === addressPicked) {
          setAddress('');
          setAddressPicked(null);
        }
        setFlyKey((k) => k + 1);
        setError('location', null);
      },
      (err) => {
        setLocating(false);
        setError('location', err.code === err.PERMISSION_DENIED ? t('location.denied') : t('location.failed'));
      },
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 30_000 },
    );
  };

  const onMapPick = useCallback(
    (lng: number, lat: number) => {
      setPin({ lng, lat, source: 'map' });
      setError('location', null);
    },
    [setError],
  );

  const debouncedAddress = useDebounced(address.trim(), 300);
  useEffect(() => {
    if (debouncedAddress.length < 2 || debouncedAddress === addressPicked) {
      setAddressOptions([]);
      return;
    }
    const ac = new AbortController();
    residentApi
      .addressMatch(debouncedAddress.slice(0, 100), ac.signal)
      .then(setAddressOptions)
      .catch(() => {
        /* suggestions are optional */
      });
    return () => ac.abort();
  }, [debouncedAddress, addressPicked]);

  const onAddressChange = (v: string) => {
    setAddress(v);
    if (addressPicked && v !== addressPicked) {
      setAddressPicked(null);
      // The pin came from the address they are now changing: it no longer stands.
      if (pin?.source === 'address') setPin(null);
    }
    if (v.trim()) setError('location', null);
  };

  const onAddressSelect = (value: string) => {
    const m = addressOptions.find((o) => o.fullText === value);
    if (!m) return;
    const text = shortAddress(m.fullText);
    setAddress(text);
    setAddressPicked(text);
    setAddressOptions([]);
    setPin({ lng: m.lng, lat: m.lat, source: 'address' });
    setFlyKey((k) => k + 1);
    setError('location', null);
  };

  // ------------------------------------------------------------ 4 submit
  const scrollToField = (field: FieldKey) => {
    const target = document.getElementById(`rz-field-${field === 'category' ? 'description' : field}`);
    target?.scrollIntoView({ behavior: 'smooth', block: 'center' });
  };

  const validate = (): Partial<Record<FieldKey, string>> => {
    const e: Partial<Record<FieldKey, string>> = {};
    const d = description.trim();
    if (!d) e.description = t('describe.required');
    else if (d.length < 4) e.description = t('describe.tooShort');
    if (photoFailed) e.photos = t('photos.someFailed');
    if (!pin && !address.trim()) e.location = t('location.required');
    else if (pin && place === 'outside') e.location = t('location.outside');
    const p = phone.replace(/\D/g, '');
    if (!p) e.phone = t('contact.phoneRequired');
    else if (!MOBILE_RE.test(p)) e.phone = t('contact.phoneInvalid');
    return e;
  };

  const order: FieldKey[] = ['description', 'category', 'photos', 'location', 'phone', 'name'];

  const submit = async (ev?: FormEvent) => {
    ev?.preventDefault();
    if (submitting || uploading) return;
    setFormError(null);
    const e = validate();
    setErrors(e);
    const first = order.find((k) => e[k]);
    if (first) {
      scrollToField(first);
      return;
    }
    setSubmitting(true);
    try {
      const photoIds = photos.filter((p) => p.status === 'done' && p.id).map((p) => p.id!);
      const out = await residentApi.createReport({
        description: description.trim(),
        categoryCode: manualCategory?.code ?? null,
        lng: pin?.lng ?? null,
        lat: pin?.lat ?? null,
        address: address.trim() || null,
        name: name.trim() || null,
        phone: phone.replace(/\D/g, ''),
        photoIds: photoIds.length ? photoIds : undefined,
      });
      rememberReport({
        code: out.trackingCode,
        number: out.number,
        at: new Date().toISOString(),
        // Only the category: the description may be sensitive on a shared phone.
        summary: manualCategory?.name ?? (suggestion && !suggestion.belowThreshold ? suggestion.categoryName : ''),
      });
      try {
        sessionStorage.removeItem(DRAFT_KEY);
      } catch {
        /* ignore */
      }
      setDone(out);
      window.scrollTo({ top: 0 });
    } catch (err) {
      if (!(err instanceof ResidentApiError)) {
        setFormError(t('submit.failed', { msg: err instanceof Error ? err.message : String(err) }));
        return;
      }
      if (err.status === 0) setFormError(t('submit.network'));
      else if (err.status === 429) setFormError(t('submit.tooMany', { s: err.retryAfterSeconds ?? 60 }));
      else if (err.status === 400 && err.fields.length) {
        const next: Partial<Record<FieldKey, string>> = {};
        const sent = photos.filter((p) => p.status === 'done' && p.id);
        for (const f of err.fields) {
          const head = f.field.split('.')[0];
          const key: FieldKey | null =
            head === 'description' ? 'description'
            : head === 'phone' ? 'phone'
            : head === 'name' ? 'name'
            : head === 'photoIds' ? 'photos'
            : head === 'categoryCode' ? 'category'
            : ['location', 'address', 'lat', 'lng'].includes(head) ? 'location'
            : null;
          if (!key) continue;
          next[key] ??= fieldMessage(lang, f.field, f.message);
          const idx = Number(f.field.split('.')[1]);
          if (head === 'photoIds' && Number.isInteger(idx) && sent[idx]) patchPhoto(sent[idx].key, { status: 'error', error: t('photos.expired') });
        }
        if (next.category) setManualCategory(null);
        setErrors(next);
        const first2 = order.find((k) => next[k]);
        if (first2) scrollToField(first2);
        else setFormError(t('submit.failed', { msg: err.message }));
      } else setFormError(t('submit.failed', { msg: err.message }));
    } finally {
      setSubmitting(false);
    }
  };

  const reset = () => {
    photos.forEach((p) => URL.revokeObjectURL(p.previewUrl));
    setDescription('');
    setSuggestion(null);
    setManualCategory(null);
    setPhotos([]);
    setPin(null);
    setAddress('');
    setAddressPicked(null);
    setErrors({});
    setFormError(null);
    setDone(null);
    window.scrollTo({ top: 0 });
  };

  // ------------------------------------------------------------ view
  if (done) return <Done done={done} t={t} onAnother={reset} onView={() => navigate(`/r/${done.trackingCode}`)} />;

  const categoryLine = (() => {
    // The whole line opens the picker: an easy target for a thumb.
    const tappable = (content: ReactNode, action: string | null) => (
      <button type="button" className="rz-category rz-category-btn" onClick={() => setPickerOpen(true)} data-testid="category-suggestion">
        <span className="rz-category-text">{content}</span>
        <span className="rz-category-change" data-testid="category-change">
          {action}
          <RightOutlined />
        </span>
      </button>
    );
    if (manualCategory)
      return tappable(
        <>
          {t('category.chosen', { name: '' })}
          <Tag color="blue" className="rz-cat-tag">
            {categoryLabel(manualCategory.code, manualCategory.name)}
          </Tag>
        </>,
        t('category.change'),
      );
    if (classifying && !suggestion)
      return (
        <div className="rz-category" data-testid="category-suggestion">
          <Spin size="small" /> <span className="rz-muted">{t('category.thinking')}</span>
        </div>
      );
    if (suggestion && !suggestion.belowThreshold)
      return tappable(
        <>
          {t('category.suggested', { name: '' })}
          <Tag color="blue" className="rz-cat-tag">
            {categoryLabel(suggestion.categoryCode, suggestion.categoryName)}
          </Tag>
          <span className="rz-muted">{t('category.editable')}</span>
        </>,
        null,
      );
    if (description.trim().length >= 4 && !classifying) return tappable(<span className="rz-muted">{t('category.unsure')}</span>, t('category.pick'));
    return null;
  })();

  const placeView = (() => {
    if (pin) {
      const primary =
        pin.source === 'address' && addressPicked ? addressPicked
        : place && place !== 'outside' ? gridPlaceText(place)
        : place === 'outside' ? t('location.outside')
        : `${pin.lng.toFixed(5)}, ${pin.lat.toFixed(5)}`;
      const source =
        pin.source === 'gps' ? t('location.fromGps', { m: Math.max(1, Math.round(pin.accuracy ?? 0)) })
        : pin.source === 'map' ? t('location.fromMap')
        : t('location.fromAddress');
      return (
        <div className={place === 'outside' ? 'rz-place rz-place-bad' : 'rz-place'} data-testid="place-text">
          <EnvironmentFilled className="rz-place-icon" />
          <div className="rz-place-body">
            <div className="rz-place-main">{primary}</div>
            <div className="rz-place-sub">
              {source} · <span className="rz-nowrap">{pin.lng.toFixed(5)}, {pin.lat.toFixed(5)}</span>
            </div>
          </div>
          <Button
            type="text"
            size="small"
            icon={<CloseOutlined />}
            aria-label={t('location.clear')}
            onClick={() => {
              setPin(null);
              if (pin.source === 'address') {
                setAddress('');
                setAddressPicked(null);
              }
            }}
          />
        </div>
      );
    }
    if (address.trim())
      return (
        <div className="rz-place rz-place-pending" data-testid="place-text">
          <EnvironmentFilled className="rz-place-icon" />
          <div className="rz-place-body">
            <div className="rz-place-sub">{t('location.addressOnly', { text: address.trim() })}</div>
          </div>
        </div>
      );
    return null;
  })();

  const groups = (categories ?? []).filter((c) => !c.parentCode);
  const alternatives = (suggestion?.alternatives ?? []).filter((a) => a.confidence >= 0.05).slice(0, 3);

  return (
    <ResidentShell>
      <form className="rz-form" onSubmit={submit} noValidate>
        <h1 className="rz-h1">{t('report.title')}</h1>
        <p className="rz-lead">{t('report.lead')}</p>

        {/* 1 ------------------------------------------------ description */}
        <section className="rz-card" id="rz-field-description">
          <SectionTitle n={1} title={t('step.describe')} required t={t} />
          <Input.TextArea
            value={description}
            onChange={(e) => {
              setDescription(e.target.value);
              if (errors.description && e.target.value.trim().length >= 4) setError('description', null);
            }}
            placeholder={t('describe.placeholder')}
            maxLength={MAX_TEXT}
            showCount
            autoSize={{ minRows: 4, maxRows: 12 }}
            status={errors.description ? 'error' : undefined}
            aria-label={t('step.describe')}
            aria-invalid={!!errors.description}
            data-testid="report-description"
          />
          {errors.description && <FieldError text={errors.description} testId="error-description" />}
          {categoryLine}
          {errors.category && <FieldError text={errors.category} testId="error-category" />}
        </section>

        {/* 2 ------------------------------------------------ photos */}
        <section className="rz-card" id="rz-field-photos">
          <SectionTitle n={2} title={t('step.photos')} hint={`${t('common.optional')} · ${photos.length}/${MAX_PHOTOS}`} t={t} />
          <div className="rz-muted rz-small">{t('photos.hint')}</div>
          <div className="rz-photos">
            {photos.map((p) => (
              <div key={p.key} className={`rz-photo rz-photo-${p.status}`} data-testid="photo-thumb" data-status={p.status}>
                <img src={p.previewUrl} alt="" onError={(e) => (e.currentTarget.style.visibility = 'hidden')} />
                {p.status !== 'done' && (
                  <div className="rz-photo-overlay">
                    {p.status === 'error' ? (
                      <>
                        <ExclamationCircleFilled className="rz-photo-err-icon" />
                        <span className="rz-photo-err">{p.error}</span>
                        {p.retryable !== false && (
                          <Button size="small" icon={<ReloadOutlined />} onClick={() => startUpload(p.key, p.file)} data-testid="photo-retry">
                            {t('photos.retry')}
                          </Button>
                        )}
                      </>
                    ) : p.status === 'uploading' ? (
                      <Progress type="circle" size={44} percent={Math.round(p.progress * 100)} strokeColor="#fff" trailColor="rgba(255,255,255,0.3)" format={(n) => <span className="rz-photo-pct">{n}%</span>} />
                    ) : (
                      <>
                        <Spin size="small" />
                        <span className="rz-photo-err">{t('photos.preparing')}</span>
                      </>
                    )}
                  </div>
                )}
                {p.status === 'done' && <CheckCircleFilled className="rz-photo-ok" />}
                <button type="button" className="rz-photo-remove" aria-label={t('photos.remove')} onClick={() => removePhoto(p.key)} data-testid="photo-remove">
                  <CloseOutlined />
                </button>
              </div>
            ))}
            {photos.length < MAX_PHOTOS && (
              <label className="rz-photo-add">
                <CameraOutlined className="rz-photo-add-icon" />
                <span>{t('photos.add')}</span>
                <input type="file" accept="image/*" multiple onChange={onFiles} data-testid="photo-input" aria-label={t('photos.add')} />
              </label>
            )}
          </div>
          {errors.photos && <FieldError text={errors.photos} testId="error-photos" />}
        </section>

        {/* 3 ------------------------------------------------ location */}
        <section className="rz-card" id="rz-field-location">
          <SectionTitle n={3} title={t('step.location')} required t={t} />
          <Button block size="large" icon={<AimOutlined />} loading={locating} onClick={locateMe} data-testid="locate-me">
            {locating ? t('location.locating') : t('location.useMine')}
          </Button>
          <div className="rz-or">
            <span>{t('location.or')}</span>
          </div>
          <AutoComplete
            className="rz-address"
            value={address}
            onChange={onAddressChange}
            onSelect={onAddressSelect}
            options={addressOptions.map((o) => ({
              value: o.fullText,
              label: (
                <div className="rz-addr-opt">
                  <EnvironmentFilled className="rz-muted" /> <span>{shortAddress(o.fullText)}</span>
                </div>
              ),
            }))}
            popupMatchSelectWidth
          >
            <Input
              size="large"
              allowClear
              prefix={<SearchOutlined className="rz-muted" />}
              placeholder={t('location.addressPlaceholder')}
              maxLength={200}
              aria-label={t('location.addressPlaceholder')}
              data-testid="address-input"
            />
          </AutoComplete>
          <Suspense
            fallback={
              <div className="rz-map rz-map-fallback">
                <Spin size="small" />
              </div>
            }
          >
            <ReportMap pin={pin} flyKey={flyKey} onPick={onMapPick} t={t} />
          </Suspense>
          {placeView}
          {errors.location && <FieldError text={errors.location} testId="error-location" />}
        </section>

        {/* 4 ------------------------------------------------ contact */}
        <section className="rz-card" id="rz-field-phone">
          <SectionTitle n={4} title={t('step.contact')} t={t} />
          <label className="rz-label" htmlFor="rz-phone">
            {t('contact.phone')} <span className="rz-req">*</span>
          </label>
          <Input
            id="rz-phone"
            size="large"
            type="tel"
            inputMode="numeric"
            autoComplete="tel"
            maxLength={13}
            value={phone}
            onChange={(e) => {
              const v = e.target.value.replace(/[^\d\s-]/g, '');
              setPhone(v);
              if (errors.phone && MOBILE_RE.test(v.replace(/\D/g, ''))) setError('phone', null);
            }}
            onBlur={() => {
              const p = phone.replace(/\D/g, '');
              if (p && !MOBILE_RE.test(p)) setError('phone', t('contact.phoneInvalid'));
            }}
            placeholder={t('contact.phonePlaceholder')}
            status={errors.phone ? 'error' : undefined}
            aria-invalid={!!errors.phone}
            data-testid="phone-input"
          />
          {errors.phone && <FieldError text={errors.phone} testId="error-phone" />}
          <label className="rz-label" htmlFor="rz-name" id="rz-field-name">
            {t('contact.name')} <span className="rz-muted rz-small">（{t('common.optional')}）</span>
          </label>
          <Input
            id="rz-name"
            size="large"
            autoComplete="name"
            maxLength={50}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setError('name', null);
            }}
            placeholder={t('contact.namePlaceholder')}
            status={errors.name ? 'error' : undefined}
            data-testid="name-input"
          />
          {errors.name && <FieldError text={errors.name} testId="error-name" />}
          <div className="rz-privacy">
            <LockOutlined /> {t('contact.privacy')}
          </div>
        </section>

        <div className="rz-bottom-link">
            <a
              href="/r"
              onClick={(e) => {
                e.preventDefault();
                navigate('/r');
              }}
            >
              {t('report.checkProgress')} <RightOutlined />
            </a>
        </div>

        <div className="rz-submit-bar">
          {formError && <Alert type="error" showIcon message={formError} className="rz-form-error" data-testid="form-error" />}
          <Button
            type="primary"
            htmlType="submit"
            size="large"
            block
            loading={submitting}
            disabled={uploading}
            className="rz-submit"
            data-testid="report-submit"
          >
            {uploading ? t('photos.uploading') : submitting ? t('submitting') : t('submit')}
          </Button>
        </div>
      </form>

      <Drawer
        open={pickerOpen}
        onClose={() => setPickerOpen(false)}
        placement="bottom"
        height="auto"
        title={t('category.pickTitle')}
        className="rz-picker"
        styles={{ body: { maxHeight: '70vh', overflowY: 'auto', paddingTop: 8 } }}
      >
        <Button
          block
          className="rz-picker-auto"
          type={manualCategory ? 'default' : 'primary'}
          ghost={!manualCategory}
          onClick={() => {
            setManualCategory(null);
            setError('category', null);
            setPickerOpen(false);
          }}
        >
          {t('category.auto')}
        </Button>
        {alternatives.length > 0 && suggestion && (
          <div className="rz-picker-group">
            <div className="rz-picker-title">{t('category.maybe')}</div>
            <div className="rz-chips">
              {[{ categoryCode: suggestion.categoryCode, categoryName: suggestion.categoryName }, ...alternatives]
                .filter((a, i, all) => all.findIndex((b) => b.categoryCode === a.categoryCode) === i)
                .map((a) => (
                  <Tag.CheckableTag
                    key={a.categoryCode}
                    className="rz-chip"
                    checked={manualCategory?.code === a.categoryCode}
                    onChange={() => {
                      setManualCategory(byCode.get(a.categoryCode) ?? { code: a.categoryCode, parentCode: null, name: a.categoryName });
                      setError('category', null);
                      setPickerOpen(false);
                    }}
                  >
                    {a.categoryName}
                  </Tag.CheckableTag>
                ))}
            </div>
          </div>
        )}
        {categoriesFailed && <Alert type="warning" showIcon message={t('category.loadFailed')} />}
        {!categories && !categoriesFailed && <Spin />}
        {groups.map((g) => {
          const children = (categories ?? []).filter((c) => c.parentCode === g.code);
          return (
            <div className="rz-picker-group" key={g.code}>
              <div className="rz-picker-title">{g.name}</div>
              <div className="rz-chips">
                {(children.length ? children : [g]).map((c) => (
                  <Tag.CheckableTag
                    key={c.code}
                    className={!manualCategory && suggestion && !suggestion.belowThreshold && suggestion.categoryCode === c.code ? 'rz-chip rz-chip-suggested' : 'rz-chip'}
                    checked={manualCategory?.code === c.code}
                    onChange={() => {
                      setManualCategory(c);
                      setError('category', null);
                      setPickerOpen(false);
                    }}
                    data-testid={`category-${c.code}`}
                  >
                    {c.name}
                  </Tag.CheckableTag>
                ))}
              </div>
            </div>
          );
        })}
      </Drawer>
    </ResidentShell>
  );
}

function SectionTitle({ n, title, hint, required, t }: { n: number; title: string; hint?: string; required?: boolean; t: RT }) {
  return (
    <div className="rz-sec-title">
      <span className="rz-sec-n">{n}</span>
      <span className="rz-sec-text">{title}</span>
      {required && <span className="rz-req" aria-label={t('common.required')}>*</span>}
      {hint && <span className="rz-sec-hint">{hint}</span>}
    </div>
  );
}

function Done({ done, t, onAnother, onView }: { done: ReportCreated; t: RT; onAnother: () => void; onView: () => void }) {
  const { message } = App.useApp();
  const url = `/r/${done.trackingCode}`;
  return (
    <ResidentShell>
      <div className="rz-done" data-testid="report-done">
        <CheckCircleFilled className="rz-done-icon" />
        <h1 className="rz-h1 rz-center">{t('done.title')}</h1>
        <p className="rz-lead rz-center">{t('done.sub')}</p>
        <div className="rz-card rz-code-card">
          <div className="rz-code-label">{t('done.code')}</div>
          <div className="rz-code" data-testid="tracking-code">
            {done.trackingCode}
          </div>
          <Button
            icon={<CopyOutlined />}
            onClick={async () => {
              if (await copyText(done.trackingCode)) message.success(t('done.copied'));
              else message.warning(t('done.copyFailed'));
            }}
            data-testid="copy-code"
          >
            {t('done.copy')}
          </Button>
          <div className="rz-muted rz-small rz-number">{t('done.number', { n: done.number })}</div>
        </div>
        <Alert type="warning" showIcon message={t('done.keep')} className="rz-keep" />
        <Button
          type="primary"
          size="large"
          block
          href={url}
          onClick={(e) => {
            e.preventDefault();
            onView();
          }}
          data-testid="status-link"
        >
          {t('done.view')}
        </Button>
        <Button size="large" block onClick={onAnother} className="rz-another">
          {t('done.another')}
        </Button>
      </div>
    </ResidentShell>
  );
}
