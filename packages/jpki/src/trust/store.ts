/**
 * The JPKI trust store (docs/jpki.md §2.1, §6.1; docs/conventions.md §5, §12): the pinned J-LIS roots in
 * production, the simulator's own `O=JPKI-SIM` roots in simulator mode, `O=JPKI-TEST` roots in test
 * mode — never mixed. Every root is validated on load (self-signed, the CA profile of §1.1, a
 * verifying self-signature); anything else is refused, so a misconfiguration fails closed at start-up
 * rather than at the first verification.
 */
import {
  bytesEqual,
  fromPem,
  isWatashiError,
  OID,
  parseCertificate,
  parseSpki,
  toHex,
  webCryptoVerifier,
  type Certificate,
  type SignatureVerifier,
} from '@watashi/pki';
import { jpkiError, type JpkiErrorCode } from '../errors.ts';
import {
  environmentOf,
  matchJpkiCaName,
  organizationOf,
  type JpkiEnvironment,
  type JpkiOrganization,
  type JpkiPurpose,
} from '../profile/names.ts';
import { jpkiCaProfile } from '../profile/profiles.ts';
import { JLIS_ROOT_PINS, JLIS_ROOTS, type JlisRootPin } from './jlis-roots.ts';

/** What a store trusts: the environment whose roots it holds. */
export type JpkiTrustMode = JpkiEnvironment;

/** One trust anchor. */
export interface JpkiTrustAnchor {
  readonly certificate: Certificate;
  readonly purpose: JpkiPurpose;
  readonly organization: JpkiOrganization;
  /** SHA-256 of the DER, lower-case hex. */
  readonly sha256: string;
  /** J-LIS file name (`signca03`, …) for the embedded roots. */
  readonly name?: string;
}

/** One line of {@link JpkiTrustStore.describe}. */
export interface JpkiTrustAnchorDescription {
  readonly purpose: JpkiPurpose;
  readonly organization: JpkiOrganization;
  readonly name?: string;
  /** Serial, upper-case hex as J-LIS prints it. */
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly sha256: string;
  /** Past notAfter at `now`: kept so that signatures made before expiry stay checkable (§2.1). */
  readonly expired: boolean;
  readonly notYetValid: boolean;
}

/** Crypto used when loading roots. */
export interface JpkiTrustStoreOptions {
  /** Verifies the roots' self-signatures (default: WebCrypto). */
  readonly verifier?: SignatureVerifier;
  /** WebCrypto for fingerprints (default `globalThis.crypto`). */
  readonly crypto?: Crypto;
}

/** Options of {@link JpkiTrustStore.production}. */
export interface JpkiProductionTrustOptions extends JpkiTrustStoreOptions {
  /**
   * Root files J-LIS publishes (DER), e.g. generation 02 (`signca02.cer`), as the operator
   * installed them. Each is accepted only when its SHA-256 is in {@link JLIS_ROOT_PINS}
   * (`trust_root_unpinned` otherwise); the pins are compiled in, never configured.
   */
  readonly roots?: ReadonlyArray<Uint8Array>;
}

/** A pin list a trust store is built against (production: {@link JLIS_ROOT_PINS}). */
export type RootPins = ReadonlyArray<Pick<JlisRootPin, 'name' | 'sha256'>>;

const normalizeFingerprint = (s: string): string => s.replace(/[:\s]/g, '').toLowerCase();

function refuse(
  code: JpkiErrorCode,
  message: string,
  detail: Record<string, unknown>,
  cause?: unknown,
): never {
  throw jpkiError(code, message, cause === undefined ? { detail } : { detail, cause });
}

async function sha256Hex(der: Uint8Array, c: Crypto): Promise<string> {
  return toHex(new Uint8Array(await c.subtle.digest('SHA-256', der.slice())));
}

function organizationAttribute(cert: Certificate): string | undefined {
  for (const rdn of cert.subject.rdns)
    for (const a of rdn) if (a.type === OID.organizationName) return a.value;
  return undefined;
}

/**
 * Validates one root for `mode` and returns it as an anchor. Order: parse; the mode rule on `O`
 * (`trust_simulator_root_in_production` / `trust_mixed_roots`); then the §1.1 CA profile and the
 * self-signature (`trust_root_invalid`, with `detail.check`).
 */
async function loadRoot(
  der: Uint8Array,
  mode: JpkiTrustMode,
  verifier: SignatureVerifier,
  c: Crypto,
  name?: string,
): Promise<JpkiTrustAnchor> {
  let cert: Certificate;
  try {
    cert = parseCertificate(der);
  } catch (cause) {
    if (!isWatashiError(cause)) throw cause;
    return refuse('trust_root_invalid', 'trust anchor is not a certificate', { check: 'parse' }, cause);
  }
  const expected = organizationOf(mode);
  const o = organizationAttribute(cert);
  if (o !== expected) {
    if (mode === 'production')
      refuse(
        'trust_simulator_root_in_production',
        `production trusts only O=JPKI roots, not O=${String(o)}`,
        {
          organization: o,
        },
      );
    refuse(
      'trust_mixed_roots',
      `a ${mode} trust store accepts only O=${expected} roots, not O=${String(o)}`,
      {
        organization: o,
        mode,
      },
    );
  }
  const invalid = (check: string, message: string): never =>
    refuse('trust_root_invalid', `invalid JPKI root: ${message}`, { check, ...(name ? { name } : {}) });
  const ca = matchJpkiCaName(cert.subject);
  if (!ca || environmentOf(ca.organization) !== mode)
    return invalid('subject', 'the subject is not a JPKI CA name');
  if (!bytesEqual(cert.issuer.der, cert.subject.der)) invalid('selfIssued', 'issuer differs from subject');
  const profile = jpkiCaProfile(ca.purpose);
  if (cert.version !== 3) invalid('version', 'not v3');
  if (cert.signatureAlgorithm !== profile.signatureAlgorithm)
    invalid('signatureAlgorithm', cert.signatureAlgorithm);
  const key = parseSpki(cert.spki);
  if (key.keyType !== 'rsa' || (key.rsaBits ?? 0) < profile.minimumRsaBits || key.rsaExponent !== 65537n)
    invalid('key', 'not RSA ≥ 2048 with e = 65537');
  const bc = cert.basicConstraints;
  if (bc?.ca !== true || !bc.critical || bc.pathLen !== undefined)
    invalid('basicConstraints', 'basicConstraints must be critical CA:TRUE without pathLen');
  const ku = cert.extensions.find((e) => e.oid === OID.keyUsage);
  if (!ku?.critical || toHex(ku.value) !== profile.keyUsageDer)
    invalid('keyUsage', 'keyUsage must be critical keyCertSign+cRLSign');
  if (cert.unknownCriticalExtensions.length > 0) invalid('criticalExtension', 'unknown critical extension');
  if (!(await verifier.verify(cert.spki, cert.signatureAlgorithm, cert.tbs, cert.signature)))
    invalid('signature', 'the self-signature does not verify');
  return {
    certificate: cert,
    purpose: ca.purpose,
    organization: ca.organization,
    sha256: await sha256Hex(cert.der, c),
    ...(name === undefined ? {} : { name }),
  };
}

let loadPinned: (
  mode: JpkiTrustMode,
  roots: ReadonlyArray<{ readonly der: Uint8Array; readonly name: string }>,
  options: JpkiTrustStoreOptions,
) => Promise<JpkiTrustStore>;

/**
 * Trust anchors for JPKI path validation. Build with {@link JpkiTrustStore.production},
 * {@link JpkiTrustStore.simulator} or {@link JpkiTrustStore.test}. Immutable once built.
 */
export class JpkiTrustStore {
  private constructor(
    /** Which environment's roots this store holds. */
    readonly mode: JpkiTrustMode,
    private readonly entries: ReadonlyArray<JpkiTrustAnchor>,
  ) {}

  /**
   * The real J-LIS roots: the embedded generations plus `options.roots` (J-LIS's published files
   * the operator installed), every one accepted only when its SHA-256 is in {@link JLIS_ROOT_PINS}
   * (`trust_root_unpinned`), then only when its `O` is `JPKI` (`trust_simulator_root_in_production`).
   */
  static production(options: JpkiProductionTrustOptions = {}): Promise<JpkiTrustStore> {
    return buildPinnedTrustStore(
      'production',
      [...JLIS_ROOTS.map((r) => fromPem(r.pem, 'CERTIFICATE')), ...(options.roots ?? [])],
      JLIS_ROOT_PINS,
      options,
    );
  }

  static {
    // The pinned builder below may load roots; nothing outside this module can (the constructor
    // and `load` are private), so every production store goes through the pins.
    loadPinned = (mode, roots, options) => JpkiTrustStore.load(mode, roots, options);
  }

  /** The simulator's roots: only `O=JPKI-SIM` (real J-LIS or test roots are `trust_mixed_roots`). */
  static simulator(
    roots: ReadonlyArray<Uint8Array>,
    options: JpkiTrustStoreOptions = {},
  ): Promise<JpkiTrustStore> {
    return JpkiTrustStore.load(
      'simulator',
      roots.map((der) => ({ der })),
      options,
    );
  }

  /** J-LIS test-card roots (`O=JPKI-TEST`, read off test cards; J-LIS publishes none, §5). */
  static test(
    roots: ReadonlyArray<Uint8Array>,
    options: JpkiTrustStoreOptions = {},
  ): Promise<JpkiTrustStore> {
    return JpkiTrustStore.load(
      'test',
      roots.map((der) => ({ der })),
      options,
    );
  }

  private static async load(
    mode: JpkiTrustMode,
    roots: ReadonlyArray<{ readonly der: Uint8Array; readonly name?: string }>,
    options: JpkiTrustStoreOptions,
  ): Promise<JpkiTrustStore> {
    const verifier = options.verifier ?? webCryptoVerifier(options.crypto);
    const c = options.crypto ?? globalThis.crypto;
    const out: JpkiTrustAnchor[] = [];
    for (const r of roots) {
      const a = await loadRoot(r.der, mode, verifier, c, r.name);
      if (!out.some((x) => x.sha256 === a.sha256)) out.push(a);
    }
    if (out.length === 0) refuse('trust_no_anchor', `no ${mode} trust anchor given`, { mode });
    return new JpkiTrustStore(mode, out);
  }

  /**
   * The root certificates of `purpose`, all generations (they share one DN, so path validation must
   * choose by signature, §1.1), expired ones included. Throws `trust_no_anchor` when there is none.
   */
  anchors(purpose: JpkiPurpose): Certificate[] {
    const list = this.entries.filter((e) => e.purpose === purpose).map((e) => e.certificate);
    if (list.length === 0)
      refuse('trust_no_anchor', `no ${purpose} trust anchor`, { purpose, mode: this.mode });
    return list;
  }

  /** All anchors with their metadata. */
  list(): ReadonlyArray<JpkiTrustAnchor> {
    return this.entries;
  }

  /** True when `der` is one of the anchors (byte-exact). */
  has(der: Uint8Array): boolean {
    return this.entries.some((e) => bytesEqual(e.certificate.der, der));
  }

  /** A summary for logs and the CLI, flagging generations that are expired (or not yet valid) at `now`. */
  describe(now: Date): JpkiTrustAnchorDescription[] {
    return this.entries.map((e) => ({
      purpose: e.purpose,
      organization: e.organization,
      ...(e.name === undefined ? {} : { name: e.name }),
      serial: toHex(e.certificate.serialBytes).toUpperCase(),
      notBefore: e.certificate.notBefore.toISOString(),
      notAfter: e.certificate.notAfter.toISOString(),
      sha256: e.sha256,
      expired: now.getTime() > e.certificate.notAfter.getTime(),
      notYetValid: now.getTime() < e.certificate.notBefore.getTime(),
    }));
  }
}

/**
 * Builds a store of `mode` from `roots`, each accepted only when its SHA-256 is in `pins`
 * (`trust_root_unpinned`, `detail.sha256`), then validated for `mode` like any root (a pin never
 * lets a simulator root into a production store: the `O` rule still applies). Production calls it
 * with the compiled {@link JLIS_ROOT_PINS}; tests inject their own pin list. Not exported from the
 * package: no caller outside `@watashi/jpki` chooses pins.
 */
export async function buildPinnedTrustStore(
  mode: JpkiTrustMode,
  roots: ReadonlyArray<Uint8Array>,
  pins: RootPins,
  options: JpkiTrustStoreOptions = {},
): Promise<JpkiTrustStore> {
  const c = options.crypto ?? globalThis.crypto;
  const pinned: Array<{ der: Uint8Array; name: string }> = [];
  for (const der of roots) {
    const got = await sha256Hex(der, c);
    const pin = pins.find((p) => normalizeFingerprint(p.sha256) === got);
    if (pin === undefined)
      refuse(
        'trust_root_unpinned',
        `root ${got} is not a J-LIS root this version of Watashi knows (JLIS_ROOT_PINS)`,
        { sha256: got, mode },
      );
    pinned.push({ der, name: pin.name });
  }
  return loadPinned(mode, pinned, options);
}
