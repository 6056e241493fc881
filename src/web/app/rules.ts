/**
 * Form rules that mirror the server's own validation, so that most mistakes are caught
 * before the request. The server stays the authority: its 400 answers are shown per field.
 */
import type { Rule } from 'antd/es/form';
import type { TFunc } from '../i18n';

/** At least 8 characters, letters plus at least one digit or symbol (core.auth checkPasswordStrength). */
export function passwordRules(t: TFunc): Rule[] {
  return [
    { required: true, message: t('common.required') },
    {
      validator: (_, v: string | undefined) =>
        !v || (v.length >= 8 && /[A-Za-z]/.test(v) && /[^A-Za-z]/.test(v)) ? Promise.resolve() : Promise.reject(new Error(t('pwd.rule'))),
    },
  ];
}

/** Lower-case letters, digits, dot, dash, underscore; 2–64 characters, starting with a letter or digit. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;
/** Mainland mobile number. */
export const PHONE_PATTERN = /^1\d{10}$/;
/** Organisation codes: letters, digits, dash and underscore. */
export const ORG_CODE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
