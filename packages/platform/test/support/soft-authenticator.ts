/**
 * A software WebAuthn authenticator for Node tests (WebAuthn L3 §6): a real P-256 key pair per
 * credential (node:crypto), real clientDataJSON, authenticatorData with the UP/UV/BE/BS/AT flags
 * and a signature counter, a CBOR `none` attestation object with the COSE public key, and ECDSA
 * assertion signatures over authenticatorData ‖ SHA-256(clientDataJSON). It behaves like a
 * resident key authenticator; knobs let tests produce each kind of bad response on purpose
 * (other origin, other RP ID, no UV, counter going backwards, a corrupted signature…).
 *
 * Real Chromium with a CDP virtual authenticator is covered by the e2e tests (wallet helper).
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string): Uint8Array =>
  new Uint8Array(createHash('sha256').update(b).digest());

// --- a minimal canonical CBOR encoder (RFC 8949 §4.2: definite lengths, shortest heads) -------

type Cbor = number | string | Uint8Array | boolean | Map<Cbor, Cbor> | Cbor[] | { [k: string]: Cbor };

function head(major: number, n: number): number[] {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  return [m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** Encodes `v` as CBOR (integers, text, bytes, booleans, arrays, maps). */
export function cbor(v: Cbor): Uint8Array {
  const out: number[] = [];
  const enc = (x: Cbor): void => {
    if (typeof x === 'number') {
      if (!Number.isInteger(x)) throw new TypeError('integers only');
      out.push(...(x >= 0 ? head(0, x) : head(1, -1 - x)));
    } else if (typeof x === 'string') {
      const b = Buffer.from(x, 'utf8');
      out.push(...head(3, b.length), ...b);
    } else if (typeof x === 'boolean') {
      out.push(x ? 0xf5 : 0xf4);
    } else if (x instanceof Uint8Array) {
      out.push(...head(2, x.length), ...x);
    } else if (Array.isArray(x)) {
      out.push(...head(4, x.length));
      x.forEach(enc);
    } else {
      const entries = x instanceof Map ? [...x.entries()] : Object.entries(x);
      out.push(...head(5, entries.length));
      for (const [k, val] of entries) {
        enc(k);
        enc(val);
      }
    }
  };
  enc(v);
  return new Uint8Array(out);
}

// --- the authenticator ------------------------------------------------------------------------

/** One credential held by the authenticator. */
export interface SoftCredential {
  readonly id: Uint8Array;
  readonly privateKey: KeyObject;
  readonly cosePublicKey: Uint8Array;
  readonly rpId: string;
  readonly userHandle: Uint8Array;
  signCount: number;
}

/** Flags and behaviour of the authenticator. */
export interface SoftAuthenticatorOptions {
  /** User verification performed (UV flag). Default true. */
  readonly uv?: boolean;
  /** Backup eligible (BE) — a synced passkey provider. Default false. */
  readonly backupEligible?: boolean;
  /** Backed up (BS). Default false. */
  readonly backedUp?: boolean;
  /** AAGUID (16 bytes). Default all zero (as `none` attestation reports). */
  readonly aaguid?: Uint8Array;
  /** Counter increment per assertion; 0 = the authenticator does not count. Default 1. */
  readonly counterStep?: number;
}

/** Per-call overrides to produce bad responses on purpose. */
export interface CeremonyOverrides {
  readonly origin?: string;
  /** RP ID hashed into authenticatorData (default: the options' rpId). */
  readonly rpId?: string;
  readonly challenge?: string;
  readonly type?: string;
  readonly uv?: boolean;
  readonly up?: boolean;
  /** Counter to report instead of the next one. */
  readonly signCount?: number;
  /** Flip one bit of the signature. */
  readonly corruptSignature?: boolean;
  /** create(): present this existing credential again (ignores excludeCredentials). */
  readonly reuse?: SoftCredential;
}

/** PublicKeyCredentialCreationOptionsJSON, the fields the authenticator reads. */
export interface CreationOptionsJSON {
  readonly challenge: string;
  readonly rp: { readonly id?: string; readonly name: string };
  readonly user: { readonly id: string; readonly name: string; readonly displayName: string };
  readonly excludeCredentials?: ReadonlyArray<{ readonly id: string }>;
}

/** PublicKeyCredentialRequestOptionsJSON, the fields the authenticator reads. */
export interface RequestOptionsJSON {
  readonly challenge: string;
  readonly rpId?: string;
  readonly allowCredentials?: ReadonlyArray<{ readonly id: string }>;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

/** A software authenticator bound to one origin (as a browser would bind it). */
export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  readonly options: Required<SoftAuthenticatorOptions>;

  constructor(
    readonly origin: string,
    options: SoftAuthenticatorOptions = {},
  ) {
    this.options = {
      uv: options.uv ?? true,
      backupEligible: options.backupEligible ?? false,
      backedUp: options.backedUp ?? false,
      aaguid: options.aaguid ?? new Uint8Array(16),
      counterStep: options.counterStep ?? 1,
    };
  }

  private flags(o: CeremonyOverrides, at: boolean): number {
    let f = 0;
    if (o.up ?? true) f |= FLAG_UP;
    if (o.uv ?? this.options.uv) f |= FLAG_UV;
    if (this.options.backupEligible) f |= FLAG_BE;
    if (this.options.backedUp) f |= FLAG_BS;
    if (at) f |= FLAG_AT;
    return f;
  }

  private clientData(type: string, challenge: string, o: CeremonyOverrides): Uint8Array {
    return new Uint8Array(
      Buffer.from(
        JSON.stringify({
          type: o.type ?? type,
          challenge: o.challenge ?? challenge,
          origin: o.origin ?? this.origin,
          crossOrigin: false,
        }),
      ),
    );
  }

  /** navigator.credentials.create(): a new credential and its RegistrationResponseJSON. */
  create(opts: CreationOptionsJSON, o: CeremonyOverrides = {}) {
    const rpId = opts.rp.id ?? new URL(this.origin).hostname;
    const excluded = new Set((opts.excludeCredentials ?? []).map((c) => c.id));
    if (o.reuse === undefined && this.credentials.some((c) => c.rpId === rpId && excluded.has(b64u(c.id))))
      throw new Error('InvalidStateError: credential excluded');
    const privateKey = o.reuse?.privateKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    const cose = cbor(
      new Map<Cbor, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
      ]),
    );
    const id = o.reuse?.id ?? new Uint8Array(randomBytes(32));
    const cred: SoftCredential = {
      id,
      privateKey,
      cosePublicKey: cose,
      rpId,
      userHandle: new Uint8Array(Buffer.from(opts.user.id, 'base64url')),
      signCount: 0,
    };
    const authData = Buffer.concat([
      sha256(o.rpId ?? rpId),
      Buffer.from([this.flags(o, true)]),
      u32(o.signCount ?? 0),
      this.options.aaguid,
      Buffer.from([id.length >> 8, id.length & 0xff]),
      id,
      cose,
    ]);
    const attestationObject = cbor({ fmt: 'none', attStmt: {}, authData: new Uint8Array(authData) });
    if (o.reuse === undefined) this.credentials.push(cred);
    return {
      credential: cred,
      response: {
        id: b64u(id),
        rawId: b64u(id),
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64u(this.clientData('webauthn.create', opts.challenge, o)),
          attestationObject: b64u(attestationObject),
          transports: ['internal' as const],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform' as const,
      },
    };
  }

  /** navigator.credentials.get(): an AuthenticationResponseJSON from a matching credential. */
  get(opts: RequestOptionsJSON, o: CeremonyOverrides & { credential?: SoftCredential } = {}) {
    const rpId = opts.rpId ?? new URL(this.origin).hostname;
    const allowed = new Set((opts.allowCredentials ?? []).map((c) => c.id));
    const cred =
      o.credential ??
      this.credentials.find((c) => c.rpId === rpId && (allowed.size === 0 || allowed.has(b64u(c.id))));
    if (cred === undefined) throw new Error('NotAllowedError: no credential');
    cred.signCount += this.options.counterStep;
    const authData = Buffer.concat([
      sha256(o.rpId ?? rpId),
      Buffer.from([this.flags(o, false)]),
      u32(o.signCount ?? (this.options.counterStep === 0 ? 0 : cred.signCount)),
    ]);
    const clientDataJSON = this.clientData('webauthn.get', opts.challenge, o);
    const signature = new Uint8Array(
      sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), cred.privateKey),
    );
    if (o.corruptSignature === true) signature[signature.length - 1]! ^= 0x01;
    return {
      id: b64u(cred.id),
      rawId: b64u(cred.id),
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        userHandle: b64u(cred.userHandle),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
