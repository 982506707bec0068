/** Whether the browser is online, re-rendering when that changes. */
import { useEffect, useState } from 'preact/hooks';

/**
 * Whether the network is there: `navigator.onLine`, and not a page the service worker answered
 * from its cache because the network failed (`<html data-offline>`, sw/sw.ts); kept current
 * through the `online`/`offline` events.
 */
export function isOnline(): boolean {
  return navigator.onLine && document.documentElement.dataset['offline'] !== 'true';
}

/** {@link isOnline}, re-rendering when it changes. */
export function useOnline(): boolean {
  const [online, setOnline] = useState(isOnline);
  useEffect(() => {
    const on = (): void => {
      delete document.documentElement.dataset['offline'];
      setOnline(true);
    };
    const off = (): void => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  return online;
}
