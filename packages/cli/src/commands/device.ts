/**
 * `watashi device enrol`: a Watashi device certificate for a key inside a PKCS#11 token (a smart
 * card through OpenSC, an HSM, SoftHSM2 in tests), issued and activated through the platform's
 * device API (docs/trust-service.md §3):
 *
 * 1. the key pair is generated **on the token** (CKA_SENSITIVE, not extractable), unlocked by the
 *    token's user PIN;
 * 2. the resident signs in to the platform with the My Number card (the user-authentication key and
 *    its 4-digit PIN; in simulation a hosted card of the J-LIS simulator, `--card <id>`), so the
 *    issuance happens in a freshly authenticated session;
 * 3. the PKCS#10 request, signed on the token, goes to `POST /api/devices/certificates`: the
 *    certificate comes back issued but on hold;
 * 4. the token signs the activation message (serial, session binding, challenge) and the platform
 *    verifies it with the key in the certificate: the certificate is live.
 *
 * ```
 * watashi device enrol --platform http://localhost:8787 --pkcs11-module /usr/lib/softhsm/libsofthsm2.so \
 *   --slot 1234 --pin 123456 --card c-… --card-pin 1234 [--token-label L] [--key-label L] \
 *   [--device-slot token] [--label "IC card"] [--token-model "SoftHSM v2"] [--out cert.pem] [--json]
 * ```
 *
 * The PINs may come from the environment instead (`WATASHI_PKCS11_PIN`, `WATASHI_CARD_PIN`), so they
 * stay out of the shell history. Exit codes: 2 usage, 5 token/card not found, 6 a PIN refused,
 * 7 platform or simulator unreachable, 8 the device slot already has a live certificate.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildCertificationRequest, rawP256Signer } from '@watashi/ca';
import { openPkcs11Token } from '@watashi/ca/pkcs11';
import { toBase64, toPem, WatashiError } from '@watashi/pki';
import { withHostedCard } from '../hosted-card.ts';
import { simUrlOf } from '../options.ts';
import { emit, table } from '../output.ts';

interface EnrolOptions {
  platform: string;
  pkcs11Module: string;
  slot?: string;
  tokenLabel?: string;
  pin?: string;
  keyLabel?: string;
  card: string;
  cardPin?: string;
  deviceSlot: string;
  label?: string;
  tokenModel?: string;
  profile: 'auth' | 'sign';
  out?: string;
  json?: boolean;
}

/** What `device enrol` reports. */
export interface EnrolResult {
  readonly serial: string;
  readonly state: string;
  readonly profile: string;
  readonly deviceSlot: string;
  readonly keyLabel: string;
  readonly notAfter: string;
  /** The certificate, DER base64. */
  readonly certificate: string;
}

/** A JSON client of the platform that keeps the session cookie. */
class PlatformSession {
  cookie: string | undefined;
  constructor(readonly base: string) {}

  async post<T>(path: string, body: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.base), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(this.cookie === undefined ? {} : { cookie: this.cookie }),
        },
        body: JSON.stringify(body),
      });
    } catch (cause) {
      throw new WatashiError('platform_unreachable', `cannot reach the platform at ${this.base}`, { cause });
    }
    const set = res.headers.getSetCookie().find((c) => c.startsWith('watashi_session='));
    if (set !== undefined) this.cookie = set.split(';')[0];
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: reported by the status below
    }
    if (!res.ok)
      throw new WatashiError(
        typeof json['code'] === 'string' ? json['code'] : `http_${res.status}`,
        typeof json['detail'] === 'string' ? json['detail'] : `HTTP ${res.status}`,
        { detail: { status: res.status } },
      );
    return json as T;
  }
}

const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

/** Runs the enrolment (exported for tests). */
export async function enrolDevice(opts: EnrolOptions, simUrl: string): Promise<EnrolResult> {
  const pin = opts.pin ?? process.env['WATASHI_PKCS11_PIN'];
  const cardPin = opts.cardPin ?? process.env['WATASHI_CARD_PIN'];
  if (pin === undefined) throw new WatashiError('usage_pin_missing', 'give --pin or WATASHI_PKCS11_PIN');
  if (cardPin === undefined)
    throw new WatashiError('usage_card_pin_missing', 'give --card-pin or WATASHI_CARD_PIN');
  if ((opts.slot === undefined) === (opts.tokenLabel === undefined))
    throw new WatashiError('usage_token_missing', 'give --slot or --token-label (one of them)');
  if (opts.slot !== undefined && !/^\d+$/.test(opts.slot))
    throw new WatashiError('usage_slot_invalid', '--slot is the numeric slot id');
  const token = openPkcs11Token({
    module: opts.pkcs11Module,
    pin,
    ...(opts.slot !== undefined ? { slot: BigInt(opts.slot) } : { tokenLabel: opts.tokenLabel! }),
  });
  try {
    // 1. The key pair, generated inside the token.
    const keyLabel = opts.keyLabel ?? `watashi-device-${randomBytes(4).toString('hex')}`;
    if (token.findKey(keyLabel) !== undefined)
      throw new WatashiError('device_key_label_in_use', `the token already has a key labelled ${keyLabel}`);
    const key = token.generateKey(keyLabel);
    // 2. A fresh session: sign in with the card's user-authentication key.
    const platform = new PlatformSession(opts.platform);
    const ch = await platform.post<{ challenge: string; message: string }>(
      '/api/authn/card/login/options',
      {},
    );
    const proof = await withHostedCard(simUrl, opts.card, async (c) => {
      const signature = await c.sign('auth', cardPin, fromB64(ch.message));
      return { signature, certificate: await c.readCertificate('auth') };
    });
    await platform.post('/api/authn/card/login', {
      challenge: ch.challenge,
      certificate: toBase64(proof.certificate),
      signature: toBase64(proof.signature),
    });
    // 3. The request, signed on the token; the certificate comes back on hold.
    const csr = await buildCertificationRequest(
      rawP256Signer(key.spki, (d) => Promise.resolve(key.signRaw(d))),
    );
    const issued = await platform.post<{
      device: { serial: string };
      activation: { challenge: string; message: string };
    }>('/api/devices/certificates', {
      csr: toBase64(csr),
      profile: opts.profile === 'sign' ? 'watashi-device-sign' : 'watashi-device-auth',
      slot: opts.deviceSlot,
      keyStorage: 'pkcs11',
      ...(opts.label === undefined ? {} : { label: opts.label }),
      ...(opts.tokenModel === undefined ? {} : { tokenModel: opts.tokenModel }),
    });
    // 4. Activation: the token signs the message naming the serial, this session and the challenge.
    const signature = key.signRaw(fromB64(issued.activation.message));
    const view = await platform.post<{
      serial: string;
      state: string;
      profile: string;
      slot: string;
      notAfter: string;
      certificate: string;
    }>(`/api/devices/certificates/${issued.device.serial}/activate`, {
      challenge: issued.activation.challenge,
      signature: toBase64(signature),
    });
    if (opts.out !== undefined) writeFileSync(opts.out, toPem(fromB64(view.certificate), 'CERTIFICATE'));
    return {
      serial: view.serial,
      state: view.state,
      profile: view.profile,
      deviceSlot: view.slot,
      keyLabel,
      notAfter: view.notAfter,
      certificate: view.certificate,
    };
  } finally {
    token.close();
  }
}

/** Registers `device enrol` on `program`. */
export function registerDeviceCommands(program: Command): void {
  const device = program
    .command('device')
    .description("Watashi device certificates for a key in a PKCS#11 token (the trust service's CA).");
  device
    .command('enrol')
    .description(
      'Generate a key on a PKCS#11 token, sign in with the card, get a device certificate and activate it with the token.',
    )
    .requiredOption('--platform <url>', 'the platform (publicUrl), e.g. http://localhost:8787')
    .requiredOption(
      '--pkcs11-module <lib>',
      'PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so or opensc-pkcs11.so',
    )
    .option('--slot <id>', 'the token’s slot id (softhsm2-util --show-slots, pkcs11-tool -L)')
    .option('--token-label <label>', 'or the token’s label')
    .option('--pin <pin>', 'the token’s user PIN (env WATASHI_PKCS11_PIN)')
    .option('--key-label <label>', 'label of the new key on the token (default watashi-device-<random>)')
    .requiredOption('--card <id>', 'the hosted My Number card to sign in with (simulation)')
    .option('--card-pin <pin>', 'the card’s 4-digit user-authentication PIN (env WATASHI_CARD_PIN)')
    .option('--device-slot <name>', 'the device slot (one live certificate per slot)', 'token')
    .option('--label <name>', 'the name the wallet shows for this device')
    .option('--token-model <model>', 'the token model (the operator may trust some for level 3)')
    .option('--profile <auth|sign>', 'auth: sign-in certificate; sign: signing certificate', 'auth')
    .option('--out <file>', 'write the certificate (PEM) to FILE')
    .option('--json', 'print JSON')
    .action(async (opts: EnrolOptions, cmd: Command) => {
      if (opts.profile !== 'auth' && opts.profile !== 'sign')
        throw new WatashiError('usage_profile_invalid', '--profile is auth or sign');
      const r = await enrolDevice(opts, simUrlOf(cmd));
      emit(opts.json, r, (d: EnrolResult) =>
        table([
          ['serial', d.serial],
          ['state', d.state],
          ['profile', d.profile],
          ['device slot', d.deviceSlot],
          ['key on the token', d.keyLabel],
          ['valid until', d.notAfter],
        ]),
      );
    });
}
