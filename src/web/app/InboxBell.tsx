/**
 * The inbox in the header: unread count, the latest notifications in a popover (a click marks
 * one read and opens its link), a toast for each new one arriving on the live stream.
 */
import { useCallback, useEffect, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { App, Badge, Button, Empty, List, Popover, Spin, Tooltip, Typography } from 'antd';
import { BellOutlined, CheckOutlined } from '@ant-design/icons';
import { api, type AppNotification, type LiveEvent } from '../api';
import { useI18n } from '../i18n';
import { useLiveConnected, useLiveEvents } from '../components/liveEvents';
import { formatTime } from '../format';

const LIMIT = 30;

function linkOf(n: { link?: string | null; subjectType?: string | null; subjectId?: string | null }): string | null {
  if (n.link) return n.link;
  if (n.subjectType === 'report' && n.subjectId) return `/reports/${n.subjectId}`;
  return null;
}

export function InboxBell() {
  const { t, lang } = useI18n();
  const navigate = useNavigate();
  const { notification } = App.useApp();
  const connected = useLiveConnected();
  const [open, setOpen] = useState(false);
  const [unread, setUnread] = useState(0);
  const [items, setItems] = useState<AppNotification[]>([]);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const r = await api.notifications.list({ limit: LIMIT });
      setUnread(r.unread);
      setItems(r.items);
    } catch {
      // The bell stays quiet; the pages show their own errors.
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  useLiveEvents((e: LiveEvent) => {
    if (e.type !== 'notification') return;
    void load();
    const title = typeof e.data?.title === 'string' ? e.data.title : t('inbox.title');
    const link = linkOf({ subjectType: e.subjectType, subjectId: e.subjectId });
    const key = `n-${e.subjectId ?? ''}-${e.at ?? Date.now()}`;
    notification.info({
      key,
      message: title,
      description: e.at ? formatTime(e.at, lang) : undefined,
      placement: 'bottomRight',
      duration: 6,
      icon: <BellOutlined style={{ color: '#1d4ed8' }} />,
      onClick: link
        ? () => {
            notification.destroy(key);
            navigate(link);
          }
        : undefined,
      className: link ? 'za-toast-link' : undefined,
    });
  });

  const openItem = async (n: AppNotification) => {
    setOpen(false);
    if (!n.readAt) {
      setItems((list) => list.map((x) => (x.id === n.id ? { ...x, readAt: new Date().toISOString() } : x)));
      setUnread((u) => Math.max(0, u - 1));
      api.notifications.read(n.id).catch(() => undefined);
    }
    const link = linkOf(n);
    if (link) navigate(link);
  };

  const readAll = async () => {
    await api.notifications.readAll().catch(() => undefined);
    void load();
  };

  const content = (
    <div className="za-inbox" data-testid="inbox-panel">
      <div className="za-inbox-head">
        <span>
          {t('inbox.title')}
          {unread > 0 && <span className="za-inbox-count">{t('inbox.unread', { n: unread })}</span>}
        </span>
        <Button size="small" type="link" icon={<CheckOutlined />} disabled={!unread} onClick={readAll} data-testid="inbox-read-all">
          {t('inbox.readAll')}
        </Button>
      </div>
      {!connected && <div className="za-inbox-offline">{t('inbox.offline')}</div>}
      <div className="za-inbox-list">
        {loading && !items.length ? (
          <div className="za-center" style={{ minHeight: 120 }}>
            <Spin />
          </div>
        ) : items.length ? (
          <List
            size="small"
            dataSource={items}
            renderItem={(n) => (
              <List.Item className={`za-inbox-item${n.readAt ? '' : ' za-inbox-unread'}`} onClick={() => openItem(n)} data-testid="inbox-item">
                <div className="za-inbox-item-body">
                  <div className="za-inbox-item-title">
                    {!n.readAt && <Badge status="processing" />}
                    <span>{n.title}</span>
                  </div>
                  {n.body && (
                    <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }} className="za-inbox-item-text">
                      {n.body}
                    </Typography.Paragraph>
                  )}
                  <div className="za-inbox-item-time">{formatTime(n.createdAt, lang)}</div>
                </div>
              </List.Item>
            )}
          />
        ) : (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('inbox.empty')} />
        )}
      </div>
    </div>
  );

  return (
    <Popover
      content={content}
      trigger="click"
      placement="bottomRight"
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (o) void load();
      }}
      arrow={false}
      styles={{ body: { padding: 0 } }}
    >
      <Tooltip title={open ? undefined : t('inbox.title')}>
        <Button type="text" className="za-header-btn za-bell" aria-label={t('inbox.title')} data-testid="inbox-bell">
          <Badge count={unread} size="small" overflowCount={99} offset={[2, -2]}>
            <BellOutlined style={{ fontSize: 18, color: 'rgba(255,255,255,0.9)' }} />
          </Badge>
          <span className={`za-live-dot${connected ? ' za-live-on' : ''}`} />
        </Button>
      </Tooltip>
    </Popover>
  );
}
