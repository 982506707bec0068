/**
 * The device certificate's flows in the browser, over the device key (device-key.ts) and the
 * platform's device API (docs/trust-service.md §3–§5): apply (key → PKCS#10 → issued but inactive),
 * activate (sign the activation challenge), sign in, and the start-up check that erases the key of a
 * revoked certificate.
 */
import {
  fromBase64,
  OID,
  parseCertificate,
  readTlv,
  Tag,
  toBase64,
  valueOf,
  WatashiError,
} from '@watashi/pki';
import {
  activateDeviceCertificate,
  deviceCertificateStatus,
  deviceLoginOptions,
  finishDeviceLogin,
  requestDeviceCertificate,
  type DeviceView,
  type PasskeyLoginJson,
} from '../api/client.ts';
import {
  createDeviceKey,
  deviceKeysSupported,
  eraseDeviceKey,
  getDeviceKey,
  listDeviceKeys,
  saveDeviceCertificate,
  type DeviceKey,
  type DeviceKeyPurpose,
} from './device-key.ts';

/** The activation challenge of an issued, inactive certificate (kept by the page between the two steps). */
export interface PendingActivation {
  readonly serial: string;
  readonly challenge: string;
  /** The bytes to sign (base64), as the platform sent them. */
  readonly message: string;
  readonly expiresAt: string;
  /** Serials a device change revoked. */
  readonly replaced: readonly string[];
}

/** A new slot name for a device that is not replacing another (one live certificate per slot). */
export function newDeviceSlot(): string {
  const b = crypto.getRandomValues(new Uint8Array(6));
  return `web-${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** A default name for this device: the system the browser runs on. */
export function defaultDeviceLabel(): string {
  const ua = navigator.userAgent;
  return /Android/.test(ua)
    ? 'Android'
    : /iPhone/.test(ua)
      ? 'iPhone'
      : /iPad/.test(ua)
        ? 'iPad'
        : /Mac OS X/.test(ua)
          ? 'Mac'
          : /Windows/.test(ua)
            ? 'Windows'
            : /Linux/.test(ua)
              ? 'Linux'
              : 'Browser';
}

/**
 * Step 1: a new key on this browser, its PKCS#10 request, and the platform's certificate — issued
 * but not yet usable. `change`: a device change (the slot's other certificates are revoked; the
 * session must come from the card). On a refusal the new key is erased: a key without a
 * certificate is of no use, and the account's previous key was already replaced.
 */
export async function applyForDeviceCertificate(
  accountId: string,
  input: { slot: string; label: string; change: boolean; purpose?: DeviceKeyPurpose },
): Promise<PendingActivation> {
  if (!deviceKeysSupported())
    throw new WatashiError('device_key_unsupported', 'this browser cannot keep a device key');
  const purpose = input.purpose ?? 'auth';
  const key = await createDeviceKey(accountId, input.slot, purpose);
  try {
    const csr = await key.certificationRequest();
    const issued = await requestDeviceCertificate(
      { csr: toBase64(csr), slot: input.slot, label: input.label },
      input.change,
      purpose === 'sign' ? 'watashi-device-sign' : 'watashi-device-auth',
    );
    await saveDeviceCertificate(
      accountId,
      { serial: issued.device.serial, der: fromBase64(issued.device.certificate), state: 'pending' },
      purpose,
    );
    return { serial: issued.device.serial, ...issued.activation, replaced: issued.replaced };
  } catch (e) {
    await eraseDeviceKey(accountId, purpose);
    throw e;
  }
}

/**
 * Step 2: the device key signs the activation message (it names the certificate's serial, this
 * session and the challenge) and the platform checks it with the key in the certificate.
 */
export async function activateThisDevice(
  accountId: string,
  pending: PendingActivation,
  purpose: DeviceKeyPurpose = 'auth',
): Promise<DeviceView> {
  const key = await getDeviceKey(accountId, purpose);
  if (key?.certificateInfo()?.serial !== pending.serial)
    throw new WatashiError('device_key_missing', 'this browser no longer has the key for the certificate');
  const signature = await key.sign(fromBase64(pending.message));
  const view = await activateDeviceCertificate(pending.serial, {
    challenge: pending.challenge,
    signature: toBase64(signature),
  });
  await saveDeviceCertificate(
    accountId,
    { serial: pending.serial, der: key.certificate()!, state: 'active' },
    purpose,
  );
  return view;
}

/** This browser's keys with an active certificate, whichever account (the login page's offer), after the start-up check. */
export async function signInKeys(): Promise<DeviceKey[]> {
  if (!deviceKeysSupported()) return [];
  await checkDeviceKeysOnce();
  return (await listDeviceKeys()).filter(
    (k) => k.purpose === 'auth' && k.certificateInfo()?.state === 'active',
  );
}

/** Signs in with `key`'s certificate: the key signs the platform's challenge. */
export async function signInWithDeviceKey(key: DeviceKey): Promise<PasskeyLoginJson> {
  const der = key.certificate();
  if (der === null) throw new WatashiError('device_key_missing', 'this key has no certificate');
  const options = await deviceLoginOptions();
  const signature = await key.sign(fromBase64(options.message));
  return finishDeviceLogin({
    challenge: options.challenge,
    certificate: toBase64(der),
    signature: toBase64(signature),
  });
}

/**
 * The start-up check: asks the platform for the status of every certificate this browser holds a
 * key for, and erases the key of each one that is revoked (lost, replaced by a device change,
 * never activated). Resolves with how many keys were erased. A failure to ask (offline) erases
 * nothing: only the platform's "revoked" does.
 */
export async function eraseRevokedDeviceKeys(): Promise<number> {
  if (!deviceKeysSupported()) return 0;
  let erased = 0;
  for (const key of await listDeviceKeys()) {
    const info = key.certificateInfo();
    if (info === null) continue;
    const status = await deviceCertificateStatus(info.serial).catch(() => undefined);
    if (status?.status !== 'revoked') continue;
    await eraseDeviceKey(key.accountId, key.purpose);
    erased += 1;
  }
  return erased;
}

let startupCheck: Promise<number> | undefined;

/**
 * {@link eraseRevokedDeviceKeys} once per page load (the layout starts it; the login page waits for
 * it before offering a key, so that a revoked key is never offered).
 */
export function checkDeviceKeysOnce(): Promise<number> {
  startupCheck ??= eraseRevokedDeviceKeys().catch(() => 0);
  return startupCheck;
}

/**
 * The name (氏名) a Watashi signing certificate states: its subjectAltName carries the verified
 * basic 4 in the JPKI otherName form (docs/trust-service.md). Undefined when it holds none.
 */
export function signingCertificateName(der: Uint8Array): string | undefined {
  try {
    for (const g of parseCertificate(der).subjectAltName ?? []) {
      if (g.type !== 'otherName' || g.oid !== OID.jpkiName) continue;
      const t = readTlv(g.value, 0);
      if (t.tag === Tag.UTF8_STRING)
        return new TextDecoder('utf-8', { fatal: true }).decode(valueOf(g.value, t));
    }
  } catch {
    // Not a certificate this wallet can read: nothing to show.
  }
  return undefined;
}
