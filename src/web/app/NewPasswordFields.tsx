import { Form, Input } from 'antd';
import { useI18n } from '../i18n';
import { passwordRules } from './rules';

/** "New password" and "confirm" fields (form names newPassword, confirm), checked to match. */
export function NewPasswordFields() {
  const { t } = useI18n();
  return (
    <>
      <Form.Item name="newPassword" label={t('pwd.new')} extra={t('pwd.rule')} rules={passwordRules(t)}>
        <Input.Password autoComplete="new-password" />
      </Form.Item>
      <Form.Item
        name="confirm"
        label={t('pwd.confirm')}
        dependencies={['newPassword']}
        rules={[
          { required: true, message: t('common.required') },
          ({ getFieldValue }) => ({
            validator: (_, v) => (!v || v === getFieldValue('newPassword') ? Promise.resolve() : Promise.reject(new Error(t('pwd.mismatch')))),
          }),
        ]}
      >
        <Input.Password autoComplete="new-password" />
      </Form.Item>
    </>
  );
}
