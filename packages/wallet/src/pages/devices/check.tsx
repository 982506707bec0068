/**
 * The start-up check of the device key (issue 18 "the old device, when it next starts, sees its
 * certificate revoked and erases its key"): once per page load, every certificate this browser
 * holds a key for is looked up (`GET /api/devices/certificates/<serial>/status`, public) and the key
 * of a revoked one is erased — a device stopped as lost or replaced by a device change. The
 * resident is told, in words, on whatever page they opened.
 */
import { useEffect, useState } from 'preact/hooks';
import { Notice } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import { checkDeviceKeysOnce } from '../../lib/device-cert.ts';
import { messages } from './messages.ts';

/** Runs the check once per page load and says when a key was erased. */
export function DeviceKeyCheck() {
  const t = useT(messages);
  const [erased, setErased] = useState(0);
  useEffect(() => {
    void checkDeviceKeysOnce().then(setErased);
  }, []);
  if (erased === 0) return null;
  return (
    <Notice id="device-key-erased" kind="warning">
      <p>{t('erasedNotice')}</p>
    </Notice>
  );
}
