/**
 * Produces a certificate from a {@link CertificateProfile}: the profile decides which extensions
 * appear, in which order and with which criticality; the caller supplies their values. Anything the
 * profile does not list is refused, so a certificate can never drift from its profile.
 */
import {
  buildCertificate,
  bytesEqual,
  parseSpki,
  type CertificateTemplate,
  type Extension,
  type Signer,
} from '@watashi/pki';
import type { CertificateProfile, ProfileExtensionName } from './profiles.ts';
import { isEndOfJstDay } from './validity.ts';

/** Extension values by profile slot; `oid` must match the slot, `critical` is taken from the profile. */
export type ProfileExtensionValues = Partial<Record<ProfileExtensionName, Extension>>;

/** Largest JPKI serial: the shared sequential space is about 4 bytes (docs/jpki.md §1.1 [I]). */
const MAX_JPKI_SERIAL = 0xffffffffn;

/** The profile's extensions with `values`, in profile order. Throws `TypeError` on a missing/foreign value. */
function profileExtensions(profile: CertificateProfile, values: ProfileExtensionValues): Extension[] {
  const known = new Set(profile.extensions.map((e) => e.name));
  for (const k of Object.keys(values))
    if (!known.has(k as ProfileExtensionName)) throw new TypeError(`${profile.id} has no ${k} extension`);
  const out: Extension[] = [];
  for (const slot of profile.extensions) {
    const v = values[slot.name];
    if (!v) {
      if (slot.presence === 'required') throw new TypeError(`${profile.id} requires ${slot.name}`);
      continue;
    }
    if (v.oid !== slot.oid) throw new TypeError(`${slot.name} value has OID ${v.oid}`);
    out.push({ oid: slot.oid, critical: slot.critical, value: v.value });
  }
  return out;
}

/**
 * Builds and signs a certificate following `profile`. Checks the rules that do not depend on the
 * extension contents: signature algorithm, RSA key size, serial range (1 … 2³²−1), and notAfter at
 * 23:59:59 JST (14:59:59Z). Caller errors are `RangeError`/`TypeError`.
 */
export async function buildFromProfile(
  profile: CertificateProfile,
  t: Omit<CertificateTemplate, 'extensions'>,
  values: ProfileExtensionValues,
  signer: Signer,
): Promise<Uint8Array> {
  if (signer.algorithm !== profile.signatureAlgorithm)
    throw new RangeError(
      `${profile.id} is signed with ${profile.signatureAlgorithm}, not ${signer.algorithm}`,
    );
  const key = parseSpki(t.spki);
  if (key.keyType !== 'rsa' || (key.rsaBits ?? 0) < profile.minimumRsaBits)
    throw new RangeError(`${profile.id} needs an RSA key of at least ${String(profile.minimumRsaBits)} bits`);
  if (profile.kind === 'ca' && !bytesEqual(t.spki, signer.spki))
    throw new RangeError('a self-signed CA certificate must be signed by its own key');
  if (t.serial < 1n || t.serial > MAX_JPKI_SERIAL) throw new RangeError('JPKI serials are 1 … 2^32-1');
  if (!isEndOfJstDay(t.notAfter)) throw new RangeError('JPKI notAfter is 14:59:59Z (23:59:59 JST)');
  const notBefore = new Date(Math.floor(t.notBefore.getTime() / 1000) * 1000);
  return buildCertificate({ ...t, notBefore, extensions: profileExtensions(profile, values) }, signer);
}
