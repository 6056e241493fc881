import type { ReactNode } from 'react';

/** Title row of a console page with actions on the right. */
export function PageHeader({ title, extra, sub }: { title: ReactNode; extra?: ReactNode; sub?: ReactNode }) {
  return (
    <div className="za-page-header">
      <div>
        <h2 className="za-page-title">{title}</h2>
        {sub && <div className="za-page-sub">{sub}</div>}
      </div>
      {extra ? <div className="za-page-extra">{extra}</div> : null}
    </div>
  );
}
