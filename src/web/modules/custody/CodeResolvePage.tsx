/**
 * /c/:code — what a label's QR code opens on a phone camera (labels printed with the public
 * address encode `${base}/c/${code}`): resolves the code, then shows the item or case page,
 * or the scan page with the place.
 */
import { useEffect, useState } from 'react';
import { Link, Navigate, useParams } from 'react-router-dom';
import { Result, Spin } from 'antd';
import { ApiError } from '../../api';
import { custodyApi } from './custody-api';
import { useCustodyI18n } from './custody-i18n';

export default function CodeResolvePage() {
  const { code = '' } = useParams<{ code: string }>();
  const { t, localize } = useCustodyI18n();
  const [target, setTarget] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    custodyApi.scan(code).then(
      (r) => {
        if (cancelled) return;
        if (r.kind === 'item') setTarget(`/custody/items/${r.item.id}`);
        else if (r.kind === 'case') setTarget(`/custody/cases/${r.case.id}`);
        else setTarget(`/custody/items?locationId=${r.location.id}`);
      },
      (e: unknown) => {
        if (cancelled) return;
        setError(e instanceof ApiError && (e.status === 404 || e.status === 400) ? t('scan.notFound', { code }) : e instanceof ApiError ? localize(e.message) : String(e));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [code, t, localize]);
  if (target) return <Navigate to={target} replace />;
  if (error) return <Result status="404" title={t('c.notFound')} subTitle={error} extra={<Link to="/custody/scan">{t('scan.title')}</Link>} />;
  return (
    <div className="za-center" style={{ height: 300 }}>
      <Spin tip={t('scan.resolving')}>
        <div style={{ width: 120, height: 60 }} />
      </Spin>
    </div>
  );
}
