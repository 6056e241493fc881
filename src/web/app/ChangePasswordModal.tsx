import { useState } from 'react';
import { App, Form, Input, Modal } from 'antd';
import { api } from '../api';
import { useI18n } from '../i18n';
import { applyFieldErrors, useShowError } from './feedback';
import { NewPasswordFields } from './NewPasswordFields';

interface Values {
  currentPassword: string;
  newPassword: string;
  confirm: string;
}

export function ChangePasswordModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const showError = useShowError();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);

  const submit = async () => {
    const values = await form.validateFields();
    setSaving(true);
    try {
      await api.auth.changePassword(values.currentPassword, values.newPassword);
      message.success(t('pwd.changed'));
      form.resetFields();
      onClose();
    } catch (e) {
      if (!applyFieldErrors(form, e, ['currentPassword', 'newPassword'])) showError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('user.changePassword')}
      onOk={submit}
      confirmLoading={saving}
      onCancel={() => {
        form.resetFields();
        onClose();
      }}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      destroyOnHidden
      width={420}
    >
      <Form form={form} layout="vertical" requiredMark={false} preserve={false}>
        <Form.Item name="currentPassword" label={t('pwd.current')} rules={[{ required: true, message: t('common.required') }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <NewPasswordFields />
      </Form>
    </Modal>
  );
}
