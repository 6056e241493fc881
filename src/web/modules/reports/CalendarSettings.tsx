/**
 * 工作日历: per year, the statutory holidays (days off) and the weekend days worked (调休)
 * on which working-time deadlines are counted. The server validates the year and shows
 * what is wrong field by field.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Col, DatePicker, Empty, Form, Row, Select, Space, Spin, Tag, Typography } from 'antd';
import { PlusOutlined, SaveOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { api, ApiError, type CalendarYear } from '../../api';
import { localizeServerMessage, useI18n } from '../../i18n';
import { useShowError } from '../../app/feedback';

interface Fields {
  holidays: Dayjs[];
  workdays: Dayjs[];
}

const FMT = 'YYYY-MM-DD';
const toDays = (list: Dayjs[] | undefined) => [...new Set((list ?? []).map((d) => d.format(FMT)))].sort();

export function CalendarSettings() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const showError = useShowError();
  const [years, setYears] = useState<CalendarYear[] | null>(null);
  const [year, setYear] = useState<number>(() => dayjs().year());
  const [extraYears, setExtraYears] = useState<number[]>([]);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<Fields>();
  const holidays = Form.useWatch('holidays', form);
  const workdays = Form.useWatch('workdays', form);

  const load = useCallback(async () => {
    try {
      setYears(await api.workCalendar.list());
    } catch (e) {
      showError(e);
      setYears([]);
    }
  }, [showError]);
  useEffect(() => {
    void load();
  }, [load]);

  const current = years?.find((y) => y.year === year) ?? null;
  useEffect(() => {
    form.resetFields();
    form.setFieldsValue({ holidays: (current?.holidays ?? []).map((d) => dayjs(d)), workdays: (current?.workdays ?? []).map((d) => dayjs(d)) });
  }, [current, year, form]);

  const yearOptions = useMemo(() => {
    const set = new Set<number>([...(years ?? []).map((y) => y.year), ...extraYears, year]);
    return [...set].sort().map((y) => ({ value: y, label: `${y}` }));
  }, [years, extraYears, year]);

  const addYear = () => {
    const max = Math.max(dayjs().year(), ...yearOptions.map((o) => o.value));
    const next = yearOptions.some((o) => o.value === dayjs().year()) ? max + 1 : dayjs().year();
    setExtraYears((l) => [...l, next]);
    setYear(next);
  };

  const save = async () => {
    const v = form.getFieldsValue();
    setSaving(true);
    try {
      const body = { year, holidays: toDays(v.holidays), workdays: toDays(v.workdays) };
      await api.workCalendar.put(year, body);
      message.success(t('common.saved'));
      await load();
    } catch (e) {
      // "holidays.3: …" → the holidays field, naming the day.
      if (e instanceof ApiError && e.status === 400 && Array.isArray(e.details)) {
        const byField = new Map<string, string[]>();
        for (const d of e.details as { field?: string; message?: string }[]) {
          const [field] = (d.field ?? '').split('.');
          if (field !== 'holidays' && field !== 'workdays' && field !== 'year') continue;
          const key = field === 'year' ? 'holidays' : field;
          byField.set(key, [...(byField.get(key) ?? []), localizeServerMessage(d.message ?? e.message)]);
        }
        if (byField.size) {
          form.setFields([...byField].map(([name, errors]) => ({ name: name as keyof Fields, errors })));
          return;
        }
      }
      showError(e);
    } finally {
      setSaving(false);
    }
  };

  const months = useMemo(() => {
    const h = toDays(holidays);
    const w = toDays(workdays);
    return Array.from({ length: 12 }, (_, m) => ({
      m,
      holidays: h.filter((d) => Number(d.slice(5, 7)) === m + 1),
      workdays: w.filter((d) => Number(d.slice(5, 7)) === m + 1),
    }));
  }, [holidays, workdays]);

  if (!years) return <Spin />;

  const weekday = (d: string) => dayjs(d).locale(lang === 'zh-CN' ? 'zh-cn' : 'en').format('dd');

  return (
    <div data-testid="calendar-settings">
      <div className="za-tab-bar">
        <Space>
          <span>{t('set.year')}</span>
          <Select value={year} options={yearOptions} onChange={setYear} style={{ width: 110 }} data-testid="calendar-year" />
          <Button icon={<PlusOutlined />} onClick={addYear}>
            {t('set.addYear')}
          </Button>
        </Space>
        <Button type="primary" icon={<SaveOutlined />} loading={saving} onClick={save} data-testid="calendar-save">
          {t('common.save')}
        </Button>
      </div>
      <Alert type="info" showIcon message={t('set.calendarHint')} style={{ marginBottom: 12 }} />
      {!current && <Alert type="warning" showIcon message={t('set.noCalendar')} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" requiredMark={false}>
        <Row gutter={12}>
          <Col xs={24} lg={12}>
            <Form.Item name="holidays" label={`${t('set.holidays')} · ${t('set.days', { n: toDays(holidays).length })}`} extra={t('set.holidaysHint')}>
              <DatePicker multiple style={{ width: '100%' }} defaultPickerValue={dayjs(`${year}-01-01`)} maxTagCount="responsive" data-testid="calendar-holidays" />
            </Form.Item>
          </Col>
          <Col xs={24} lg={12}>
            <Form.Item name="workdays" label={`${t('set.workdays')} · ${t('set.days', { n: toDays(workdays).length })}`} extra={t('set.workdaysHint')}>
              <DatePicker multiple style={{ width: '100%' }} defaultPickerValue={dayjs(`${year}-01-01`)} maxTagCount="responsive" data-testid="calendar-workdays" />
            </Form.Item>
          </Col>
        </Row>
      </Form>
      <div className="za-cal-grid">
        {months.map((mo) => (
          <Card size="small" key={mo.m} title={dayjs(`${year}-${String(mo.m + 1).padStart(2, '0')}-01`).locale(lang === 'zh-CN' ? 'zh-cn' : 'en').format(lang === 'zh-CN' ? 'M月' : 'MMMM')} className="za-cal-month">
            {mo.holidays.length || mo.workdays.length ? (
              <Space size={[4, 4]} wrap>
                {mo.holidays.map((d) => (
                  <Tag key={d} color="red" bordered={false}>
                    {d.slice(8)} {weekday(d)}
                  </Tag>
                ))}
                {mo.workdays.map((d) => (
                  <Tag key={d} color="blue" bordered={false}>
                    {d.slice(8)} {weekday(d)} {lang === 'zh-CN' ? '班' : 'work'}
                  </Tag>
                ))}
              </Space>
            ) : (
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                —
              </Typography.Text>
            )}
          </Card>
        ))}
      </div>
      {!months.some((m) => m.holidays.length || m.workdays.length) && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />}
    </div>
  );
}
