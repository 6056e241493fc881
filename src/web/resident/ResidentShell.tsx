/**
 * The frame of the residents' pages: a slim top bar (emblem, district, language switch) and
 * a centred column, with controls sized for a thumb (Ant Design tokens scaled up, 16 px
 * inputs so that phones do not zoom in on focus).
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { Button, ConfigProvider } from 'antd';
import { ExclamationCircleFilled } from '@ant-design/icons';
import { Logo } from '../app/Logo';
import { useResidentI18n } from './resident-i18n';
import './resident.css';

export function ResidentShell({ children }: { children: ReactNode }) {
  const { t, toggle } = useResidentI18n();
  return (
    <ConfigProvider
      theme={{
        token: { fontSize: 15, borderRadius: 8, controlHeight: 38, controlHeightLG: 46 },
        components: {
          Button: { contentFontSizeLG: 16, fontWeight: 500 },
          Input: { inputFontSizeLG: 16, inputFontSize: 16 },
          Tag: { defaultBg: '#f1f5f9' },
        },
      }}
    >
      <div className="rz-page">
        <header className="rz-top">
          <div className="rz-top-inner">
          <Link to="/report" className="rz-brand" aria-label={t('brand')}>
            <Logo size={24} />
            <span>{t('brand')}</span>
          </Link>
          <Button type="text" size="small" className="rz-lang" onClick={toggle} aria-label={t('lang.switchLabel')} data-testid="lang-toggle">
            {t('lang.switch')}
          </Button>
          </div>
        </header>
        <main className="rz-main">{children}</main>
      </div>
    </ConfigProvider>
  );
}

export function FieldError({ text, testId }: { text: string; testId?: string }) {
  return (
    <div className="rz-field-error" role="alert" data-testid={testId}>
      <ExclamationCircleFilled /> {text}
    </div>
  );
}

/** Copies text; falls back to a hidden textarea where the Clipboard API is unavailable (plain http). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through */
  }
  try {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  } catch {
    return false;
  }
}
