import { lazy, Suspense } from 'react';
import { Spin } from 'antd';
import type { ReportMapProps } from './ReportMap';

const ReportMap = lazy(() => import('./ReportMap'));

/** The report map, loaded with MapLibre only when a page shows it. */
export function LazyReportMap(props: ReportMapProps) {
  return (
    <Suspense
      fallback={
        <div className="za-report-map za-center" style={{ height: props.height ?? 360, minHeight: 0 }}>
          <Spin />
        </div>
      }
    >
      <ReportMap {...props} />
    </Suspense>
  );
}
