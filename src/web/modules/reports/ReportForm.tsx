/**
 * The report form of the intake desk (hotline) and of a patrol (grid worker on a phone):
 * where (address with live suggestions, a pin on the map, or the phone's position), what
 * (description with a live category suggestion, or the category tree), photos; possible
 * duplicates before submitting; the case number and the routing explanation after.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, App, AutoComplete, Button, Card, Col, Empty, Form, Input, List, Radio, Result, Row, Select, Space, Spin, Tag, TreeSelect, Typography } from 'antd';
import { AimOutlined, CloseCircleOutlined, EnvironmentOutlined, PlusOutlined, SendOutlined, ThunderboltOutlined } from '@ant-design/icons';
import { api, ApiError, PRIORITIES, type Classification, type DuplicateCase, type Priority, type ReportCreated } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { applyFieldErrors, useShowError } from '../../app/feedback';
import { confidenceColor, formatCoord, formatTime, percent } from '../../format';
import { useAddressMatch } from '../geo/address-search';
import { PhotoUploader } from './PhotoUploader';
import { LazyReportMap } from './ReportMapLazy';
import { RoutingSteps } from './RoutingSteps';
import { StatusTag } from './StatusTag';
import { categoryTree, shortAddress, useReportCategories } from './report-meta';

interface Fields {
  reporterName?: string;
  reporterPhone?: string;
  channel: 'hotline' | 'patrol';
  address?: string;
  description: string;
  categoryCode?: string;
  priority?: Priority;
  photoIds?: string[];
}

const FIELD_NAMES = ['reporterName', 'reporterPhone', 'address', 'description', 'categoryCode', 'priority', 'photoIds'];
/** The server's duplicate window (reports.duplicates: same category, 250 m, 72 h). */
const DUP_METRES = 250;
const DUP_HOURS = 72;
const PHONE_RE = /^(1\d{10}|0\d{2,3}-?\d{7,8}|\d{7,8})$/;

type Pin = { lng: number; lat: number };

export function ReportForm({ channel, mobile }: { channel: 'hotline' | 'patrol'; mobile?: boolean }) {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const showError = useShowError();
  const [form] = Form.useForm<Fields>();
  const cats = useReportCategories();
  const tree = useMemo(() => categoryTree(cats.list, { leavesOnly: true }), [cats.list]);

  const [pin, setPin] = useState<Pin | null>(null);
  const [place, setPlace] = useState<string | null>(null);
  const [locating, setLocating] = useState(false);
  const [suggestion, setSuggestion] = useState<Classification | null>(null);
  const [classifying, setClassifying] = useState(false);
  const [duplicates, setDuplicates] = useState<DuplicateCase[] | null>(null);
  const [uploading, setUploading] = useState(false);
  const [saving, setSaving] = useState(false);
  const [created, setCreated] = useState<ReportCreated | null>(null);

  const description = Form.useWatch('description', form);
  const categoryCode = Form.useWatch('categoryCode', form);

  // ------------------------------------------------------------ location
  const addr = useAddressMatch(6);
  const addressOptions = useMemo(() => {
    const r = addr.result;
    const list = r ? [...(r.best ? [r.best] : []), ...r.alternatives] : [];
    const seen = new Set<string>();
    return list
      .filter((m) => !seen.has(m.fullText) && seen.add(m.fullText))
      .map((m) => ({
        value: m.fullText,
        match: m,
        label: (
          <div className="za-opt">
            <div className="za-opt-main">{shortAddress(m.fullText)}</div>
            <div className="za-opt-meta">
              <span>{labels.level(lang, m.level)}</span>
              {m.gridName && <span> · {m.gridName}</span>}
              <Tag color={confidenceColor(m.confidence)} bordered={false} className="za-opt-conf">
                {percent(m.confidence)}
              </Tag>
            </div>
          </div>
        ),
      }));
  }, [addr.result, lang]);

  const locateSeq = useRef(0);
  const placePin = useCallback(
    (p: Pin | null) => {
      setPin(p);
      setPlace(null);
      form.setFields([{ name: 'address', errors: [] }]);
      if (!p || !can('grid.read')) return;
      const mine = ++locateSeq.current;
      api.grids
        .locate(p.lng, p.lat)
        .then((loc) => mine === locateSeq.current && setPlace([loc.street?.name, loc.community?.name, loc.grid?.name].filter(Boolean).join(' · ')))
        .catch(() => mine === locateSeq.current && setPlace(''));
    },
    [can, form],
  );

  const useMyLocation = useCallback(() => {
    if (!navigator.geolocation) {
      message.warning(t('intake.geoFailed'));
      return;
    }
    setLocating(true);
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setLocating(false);
        // Phones report WGS-84, our coordinate system.
        placePin({ lng: Math.round(pos.coords.longitude * 1e6) / 1e6, lat: Math.round(pos.coords.latitude * 1e6) / 1e6 });
      },
      () => {
        setLocating(false);
        message.warning(t('intake.geoFailed'));
      },
      { enableHighAccuracy: true, timeout: 10_000, maximumAge: 60_000 },
    );
  }, [message, placePin, t]);

  // A patrol starts where the grid worker stands, if the phone allows.
  const triedGeo = useRef(false);
  useEffect(() => {
    if (channel !== 'patrol' || triedGeo.current) return;
    triedGeo.current = true;
    if (navigator.geolocation) useMyLocation();
  }, [channel, useMyLocation]);

  // ------------------------------------------------------------ classification (debounced)
  useEffect(() => {
    const text = (description ?? '').trim();
    if (text.length < 4) {
      setSuggestion(null);
      return;
    }
    let cancelled = false;
    const timer = setTimeout(() => {
      setClassifying(true);
      api.reports
        .classify(text)
        .then((c) => !cancelled && setSuggestion(c))
        .catch(() => !cancelled && setSuggestion(null))
        .finally(() => !cancelled && setClassifying(false));
    }, 500);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [description]);

  const guesses = suggestion ? [suggestion, ...suggestion.alternatives].slice(0, 3) : [];
  const effectiveCategory = categoryCode || (suggestion && !suggestion.belowThreshold ? suggestion.categoryCode : undefined);

  // ------------------------------------------------------------ duplicates (debounced)
  useEffect(() => {
    if (!effectiveCategory || !pin) {
      setDuplicates(null);
      return;
    }
    let cancelled = false;
    const timer = setTimeout(() => {
      api.reports
        .duplicates({ categoryCode: effectiveCategory, lng: pin.lng, lat: pin.lat })
        .then((d) => !cancelled && setDuplicates(d))
        .catch(() => !cancelled && setDuplicates(null));
    }, 400);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [effectiveCategory, pin]);

  // ------------------------------------------------------------ submit
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    if (!pin && !v.address?.trim()) {
      form.setFields([{ name: 'address', errors: [t('intake.locationRequired')] }]);
      return;
    }
    if (uploading) {
      message.warning(t('photo.uploading'));
      return;
    }
    setSaving(true);
    try {
      const out = await api.reports.create({
        channel: channel === 'patrol' ? 'patrol' : v.channel,
        description: v.description.trim(),
        categoryCode: v.categoryCode || null,
        priority: v.priority || null,
        address: v.address?.trim() || null,
        lng: pin?.lng ?? null,
        lat: pin?.lat ?? null,
        reporterName: v.reporterName?.trim() || null,
        reporterPhone: v.reporterPhone?.trim() || null,
        photoIds: v.photoIds?.length ? v.photoIds : undefined,
      });
      setCreated(out);
      message.success(t('intake.created'));
    } catch (e) {
      // The server names location problems as lng / lat / location: show them on the address.
      if (e instanceof ApiError && e.status === 400) {
        const d = (Array.isArray(e.details) ? e.details : []) as { field?: string; message?: string }[];
        const loc = d.find((x) => x.field === 'lng' || x.field === 'lat' || x.field === 'location');
        if (loc) {
          form.setFields([{ name: 'address', errors: [loc.message ?? e.message] }]);
          return;
        }
        const phone = d.find((x) => x.field === 'phone' || x.field === 'name');
        if (phone) {
          form.setFields([{ name: phone.field === 'phone' ? 'reporterPhone' : 'reporterName', errors: [phone.message ?? e.message] }]);
          return;
        }
      }
      if (!applyFieldErrors(form, e, FIELD_NAMES)) showError(e);
    } finally {
      setSaving(false);
    }
  };

  const again = () => {
    setCreated(null);
    setPin(null);
    setPlace(null);
    setSuggestion(null);
    setDuplicates(null);
    addr.setText('');
    form.resetFields();
  };

  if (created) return <CreatedPanel created={created} onAgain={again} mobile={mobile} />;

  // ------------------------------------------------------------ pieces
  const callerCard = channel === 'hotline' && (
    <Card size="small" title={t('intake.caller')} className="za-card">
      <div className="za-form-grid">
        <Form.Item name="reporterName" label={t('intake.callerName')} rules={[{ max: 50 }]}>
          <Input autoComplete="off" data-testid="intake-name" />
        </Form.Item>
        <Form.Item
          name="reporterPhone"
          label={t('intake.callerPhone')}
          rules={[{ validator: (_r, v: string | undefined) => (!v || PHONE_RE.test(v.replace(/\s/g, '')) ? Promise.resolve() : Promise.reject(new Error(t('intake.phoneRule')))) }]}
        >
          <Input autoComplete="off" maxLength={20} data-testid="intake-phone" />
        </Form.Item>
        <Form.Item name="channel" label={t('rep.channel')} className="za-span-2" style={{ marginBottom: 0 }}>
          <Radio.Group optionType="button" buttonStyle="solid" data-testid="intake-channel">
            <Radio.Button value="hotline">{labels.channel(lang, 'hotline')}</Radio.Button>
            <Radio.Button value="patrol">{labels.channel(lang, 'patrol')}</Radio.Button>
          </Radio.Group>
        </Form.Item>
      </div>
    </Card>
  );

  const whatCard = (
    <Card size="small" title={t('rep.description')} className="za-card">
      <Form.Item name="description" label={t('intake.describe')} rules={[{ required: true, whitespace: true, message: t('intake.describe') }, { max: 2000 }]}>
        <Input.TextArea rows={mobile ? 4 : 5} maxLength={2000} showCount placeholder={t('intake.descPlaceholder')} data-testid="intake-description" />
      </Form.Item>
      <div className="za-suggest" data-testid="category-suggestions">
        <span className="za-suggest-label">
          <ThunderboltOutlined /> {t('intake.suggest')}
          {guesses.length > 0 && <span className="za-suggest-hint">（{t('intake.suggestHint')}）</span>}
        </span>
        {classifying && !guesses.length && <Spin size="small" />}
        {guesses.map((g) => (
          <Tag.CheckableTag
            key={g.categoryCode}
            checked={categoryCode === g.categoryCode}
            onChange={() => form.setFieldValue('categoryCode', g.categoryCode)}
            className="za-suggest-chip"
            data-testid="category-suggestion"
          >
            {g.categoryName}
            <span className={`za-suggest-conf za-conf-${confidenceColor(g.confidence)}`}>{percent(g.confidence)}</span>
          </Tag.CheckableTag>
        ))}
        {suggestion?.belowThreshold && <Typography.Text type="warning" className="za-suggest-warn">{t('intake.lowConfidence')}</Typography.Text>}
      </div>
      <div className={mobile ? undefined : 'za-form-grid'}>
        <Form.Item name="categoryCode" label={t('rep.category')}>
          <TreeSelect allowClear showSearch treeNodeFilterProp="title" treeData={tree} treeDefaultExpandAll={false} placeholder={t('intake.categoryAuto')} popupMatchSelectWidth={320} data-testid="intake-category" />
        </Form.Item>
        {!mobile && (
          <Form.Item name="priority" label={t('rep.priority')}>
            <Select allowClear placeholder={t('intake.priorityAuto')} options={PRIORITIES.map((p) => ({ value: p, label: labels.priority(lang, p) }))} />
          </Form.Item>
        )}
      </div>
      <Form.Item name="photoIds" label={t('intake.photos')} style={{ marginBottom: 0 }}>
        <PhotoUploader capture={mobile} onBusyChange={setUploading} />
      </Form.Item>
    </Card>
  );

  const whereCard = (
    <Card
      size="small"
      title={t('intake.where')}
      className="za-card"
      extra={
        <Button size="small" icon={<AimOutlined />} loading={locating} onClick={useMyLocation} data-testid="intake-locate">
          {t('intake.locateMe')}
        </Button>
      }
    >
      <Form.Item name="address" style={{ marginBottom: 8 }}>
        <AutoComplete
          options={addressOptions}
          onSearch={(v) => addr.search(v)}
          onSelect={(_v: string, opt: (typeof addressOptions)[number]) => {
            placePin({ lng: opt.match.lng, lat: opt.match.lat });
          }}
          popupMatchSelectWidth
          notFoundContent={addr.loading ? <Spin size="small" /> : null}
        >
          <Input prefix={<EnvironmentOutlined />} allowClear placeholder={t('intake.addressPlaceholder')} data-testid="intake-address" />
        </AutoComplete>
      </Form.Item>
      <LazyReportMap height={mobile ? 240 : 340} showGrids pin={pin} onPick={(lng, lat) => placePin({ lng, lat })} testId="intake-map" />
      <div className="za-pin-info" data-testid="pin-info">
        {pin ? (
          <>
            <span>
              <EnvironmentOutlined /> {t('intake.pinAt')} {formatCoord(pin.lng, pin.lat)}
            </span>
            {place !== null && <span className="za-pin-place">{place ? t('intake.inGrid', { place }) : t('intake.outside')}</span>}
            <Button size="small" type="link" icon={<CloseCircleOutlined />} onClick={() => placePin(null)}>
              {t('intake.clearPin')}
            </Button>
          </>
        ) : (
          <Typography.Text type="secondary">{t('intake.pinHint')}</Typography.Text>
        )}
      </div>
    </Card>
  );

  const dupCard = duplicates !== null && (
    <Card size="small" className="za-card" title={t('intake.duplicates')} data-testid="duplicates">
      {duplicates.length ? (
        <>
          <Alert type="warning" showIcon message={t('intake.duplicatesHint', { m: DUP_METRES, h: DUP_HOURS })} style={{ marginBottom: 8 }} />
          <List
            size="small"
            dataSource={duplicates}
            renderItem={(d) => (
              <List.Item extra={<Tag bordered={false}>{t('intake.distance', { n: d.distance })}</Tag>}>
                <List.Item.Meta
                  title={
                    <Space size={6}>
                      <Link to={`/reports/${d.id}`} target="_blank" className="za-mono" data-testid="duplicate-link">
                        {d.number}
                      </Link>
                      <StatusTag status={d.status} />
                    </Space>
                  }
                  description={
                    <span>
                      {d.description} <Typography.Text type="secondary">· {formatTime(d.createdAt, lang)}</Typography.Text>
                    </span>
                  }
                />
              </List.Item>
            )}
          />
        </>
      ) : (
        <Typography.Text type="secondary">{t('intake.noDuplicates')}</Typography.Text>
      )}
    </Card>
  );

  const submitButton = (
    <Button type="primary" size="large" icon={<SendOutlined />} loading={saving} disabled={uploading} onClick={submit} block={mobile} data-testid="intake-submit">
      {t('intake.submit')}
    </Button>
  );

  return (
    <Form form={form} layout="vertical" requiredMark={false} initialValues={{ channel: channel === 'patrol' ? 'patrol' : 'hotline' }} className="za-report-form">
      {mobile ? (
        <div className="za-mobile-stack">
          {whatCard}
          {whereCard}
          {dupCard}
          {submitButton}
        </div>
      ) : (
        <Row gutter={12}>
          <Col xs={24} lg={13}>
            {callerCard}
            {whatCard}
            <div className="za-submit-row">{submitButton}</div>
          </Col>
          <Col xs={24} lg={11}>
            {whereCard}
            {dupCard}
          </Col>
        </Row>
      )}
    </Form>
  );
}

function CreatedPanel({ created, onAgain, mobile }: { created: ReportCreated; onAgain: () => void; mobile?: boolean }) {
  const { t, lang } = useI18n();
  const cats = useReportCategories();
  return (
    <Card className="za-card" data-testid="intake-result">
      <Result
        status="success"
        title={
          <span>
            {t('intake.created')} · <span className="za-mono za-big-number" data-testid="created-number">{created.number}</span>
          </span>
        }
        subTitle={
          <Space wrap size={[8, 4]} style={{ justifyContent: 'center' }}>
            <span>
              {t('intake.statusNow')}：<StatusTag status={created.status} />
            </span>
            {created.categoryCode && (
              <span>
                {t('rep.category')}：{cats.name(created.categoryCode)}
              </span>
            )}
            <span>
              {t('rep.trackingCode')}：<Typography.Text copyable className="za-mono">{created.trackingCode}</Typography.Text>
            </span>
          </Space>
        }
        extra={[
          <Link key="open" to={`/reports/${created.id}`}>
            <Button type="primary" size={mobile ? 'large' : 'middle'} data-testid="open-created">
              {t('intake.openCase')}
            </Button>
          </Link>,
          <Button key="again" icon={<PlusOutlined />} size={mobile ? 'large' : 'middle'} onClick={onAgain} data-testid="intake-again">
            {t('intake.again')}
          </Button>,
        ]}
      />
      <div className="za-created-routing">
        <Typography.Title level={5}>{t('intake.routingResult')}</Typography.Title>
        <RoutingSteps steps={created.routing} />
      </div>
      {created.duplicates.length > 0 && (
        <Alert
          type="warning"
          showIcon
          message={t('intake.duplicates')}
          description={
            <Space direction="vertical" size={2}>
              {created.duplicates.map((d) => (
                <span key={d.id}>
                  <Link to={`/reports/${d.id}`} className="za-mono">
                    {d.number}
                  </Link>{' '}
                  <StatusTag status={d.status} /> {d.description} · {t('intake.distance', { n: d.distance })} · {formatTime(d.createdAt, lang)}
                </span>
              ))}
            </Space>
          }
        />
      )}
      {!created.routing.length && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />}
    </Card>
  );
}
