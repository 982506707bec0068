/**
 * Certification path validation (RFC 5280 §6), built for JPKI's one-tier hierarchies but correct
 * for general chains.
 *
 * Path building goes from the leaf up. An issuer candidate is any anchor or intermediate whose
 * subject DER equals the child's issuer DER byte for byte (RFC 5280 §7.1 allows a looser match; JPKI
 * names are stable byte-exact copies, docs/jpki.md §1.1) and whose subjectKeyIdentifier equals
 * the child's authorityKeyIdentifier when both are present. All JPKI root generations share one DN
 * (docs/jpki.md §1.1), so among several candidates the one whose key verifies the child's
 * signature is chosen; the search backtracks over candidates and reports the most relevant failure.
 *
 * Simplifications, each failing closed:
 * - Trust is membership in `anchors` (RFC 5280 §6.1.1 (d)); the anchor's self-signature is not
 *   checked. Its validity at `now` is (`checkAnchorValidity`, default true), as are its CA flags
 *   and pathLenConstraint (RFC 5937 style) when it is a v3 certificate.
 * - Policies: `requiredPolicies` must all appear in the end-entity certificate. No policy tree is
 *   built — JPKI roots carry no certificatePolicies, so RFC 5280 §6.1's tree would always be empty.
 * - Name constraints, policy constraints and inhibitAnyPolicy are not processed; a certificate
 *   carrying any of them critical is rejected as an unknown critical extension (§6.1.4 (o)).
 * - CA certificates must carry basicConstraints cA=TRUE marked critical and a keyUsage with
 *   keyCertSign (RFC 5280 §4.2.1.9 and §4.2.1.3 MUSTs; stricter than §6.1.4 (k)/(n)).
 *
 * Speed (docs/performance.md §3): certificates come pre-parsed (parse anchors once, not per call), the
 * verifier caches imported keys by SPKI, the node verifier's synchronous path is used when present,
 * and an optional {@link PathValidationCache} remembers CA-to-CA signatures already verified.
 */
import type { WatashiError } from '../errors.ts';
import { pkiError, type PkiErrorCode } from '../errors.ts';
import type { Certificate } from '../cert/parse.ts';
import type { KeyUsage } from '../cert/extensions.ts';
import type { SignatureAlgorithm } from '../crypto/algorithms.ts';
import type { SignatureVerifier } from '../crypto/provider.ts';
import { bytesEqual, toHex } from '../der/hex.ts';
import {
  runChecker,
  type PathRevocationResult,
  type RevocationChecker,
  type RevocationPolicy,
} from './revocation.ts';

/** Default limit on the number of certificates in a path, anchor excluded. */
export const DEFAULT_MAX_PATH_DEPTH = 8;
/** Upper bound on signature checks per validation (guards against many same-DN candidates). */
const MAX_SIGNATURE_CHECKS = 64;

/** Inputs of {@link validatePath}. */
export interface ValidatePathOptions {
  /** The end-entity certificate. */
  readonly leaf: Certificate;
  /** Untrusted CA certificates that may complete the path (any order). */
  readonly intermediates?: ReadonlyArray<Certificate>;
  /** Trusted certificates (parsed once by the caller). Empty → `path_no_trust_anchor`. */
  readonly anchors: ReadonlyArray<Certificate>;
  /** The validation time (signing time for signatures, the current time for logins). */
  readonly now: Date;
  /** Signature verifier (use `nodeVerifier()` on a server: cached keys, synchronous). */
  readonly verifier: SignatureVerifier;
  /** KeyUsage bits the leaf must assert; the leaf must then carry a keyUsage extension. */
  readonly requiredKeyUsage?: ReadonlyArray<KeyUsage>;
  /** Require the leaf's keyUsage extension to be critical (JPKI marks it critical, docs/jpki.md §1.2). */
  readonly requireKeyUsageCritical?: boolean;
  /** Policy OIDs that must all appear in the leaf's certificatePolicies. */
  readonly requiredPolicies?: ReadonlyArray<string>;
  /** Extended key usage OIDs that must all appear in the leaf's extKeyUsage. */
  readonly requiredExtKeyUsage?: ReadonlyArray<string>;
  /**
   * Revocation checker called for every path certificate except the anchor — required, so that no
   * caller skips revocation by leaving an option out. `'not-checked'` says so explicitly (the
   * caller checks revocation itself, later: JPKI asks J-LIS only after proof of possession).
   */
  readonly revocation: RevocationChecker | 'not-checked';
  /** How to treat `unknown` revocation answers (default `hard-fail`). */
  readonly revocationPolicy?: RevocationPolicy;
  /** Maximum certificates in the path, anchor excluded (default {@link DEFAULT_MAX_PATH_DEPTH}). */
  readonly maxDepth?: number;
  /** Check the anchor's own validity period at `now` (default true). */
  readonly checkAnchorValidity?: boolean;
  /** Remembers verified CA-to-CA signatures across calls (see {@link createPathValidationCache}). */
  readonly cache?: PathValidationCache;
}

/** A validated certification path. */
export interface ValidatedPath {
  /** Leaf first, then each issuer up to (excluding) the trust anchor. */
  readonly path: ReadonlyArray<Certificate>;
  /** The trust anchor that issued the top of `path`. */
  readonly anchor: Certificate;
  /** Revocation outcome per path certificate, in `path` order. */
  readonly revocation: ReadonlyArray<PathRevocationResult>;
}

/** Remembers which (child, issuer) signatures verified, keyed by the parsed objects (weakly). */
export interface PathValidationCache {
  /** True when `child`'s signature was already verified with `issuer`'s key. */
  has(child: Certificate, issuer: Certificate): boolean;
  /** Records that `child`'s signature verified with `issuer`'s key. */
  add(child: Certificate, issuer: Certificate): void;
}

/**
 * A cache of verified signatures for long-lived parsed CA certificates. Entries are keyed by object
 * identity in WeakMaps, so they vanish with the certificates; callers must not mutate `der`.
 */
export function createPathValidationCache(): PathValidationCache {
  const links = new WeakMap<Certificate, WeakSet<Certificate>>();
  return {
    has: (child, issuer) => links.get(child)?.has(issuer) ?? false,
    add(child, issuer) {
      let set = links.get(child);
      if (!set) links.set(child, (set = new WeakSet()));
      set.add(issuer);
    },
  };
}

/** A failure found while exploring one candidate path, ranked to pick the most relevant one. */
interface Failure {
  readonly error: WatashiError<PkiErrorCode>;
  readonly rank: number;
}

interface Search {
  readonly o: ValidatePathOptions;
  readonly anchors: ReadonlyArray<Certificate>;
  readonly intermediates: ReadonlyArray<Certificate>;
  readonly maxDepth: number;
  readonly checkAnchorValidity: boolean;
  signatureChecks: number;
  best: Failure | undefined;
}

/**
 * Validates the certification path from `leaf` to one of `anchors` at `now` (RFC 5280 §6).
 * Throws `WatashiError` with a `path_*` code on the first decisive failure; returns the path, the
 * anchor and the per-certificate revocation outcome otherwise. Does not check what the leaf signed.
 */
export async function validatePath(o: ValidatePathOptions): Promise<ValidatedPath> {
  if (!(o.now instanceof Date) || Number.isNaN(o.now.getTime()))
    throw new TypeError('now must be a valid Date');
  if (typeof o.revocation !== 'function' && o.revocation !== 'not-checked')
    throw new TypeError("revocation must be a RevocationChecker or 'not-checked'");
  const maxDepth = o.maxDepth ?? DEFAULT_MAX_PATH_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1)
    throw new RangeError('maxDepth must be a positive integer');
  // docs/conventions.md §5: no trust anchor → reject, never "skip validation".
  if (o.anchors.length === 0) throw pkiError('path_no_trust_anchor', 'no trust anchors configured');

  checkLeaf(o);

  const s: Search = {
    o,
    anchors: o.anchors,
    intermediates: o.intermediates ?? [],
    maxDepth,
    checkAnchorValidity: o.checkAnchorValidity ?? true,
    signatureChecks: 0,
    best: undefined,
  };
  const found = await extend(s, [o.leaf]);
  if (!found) {
    throw (
      s.best?.error ??
      pkiError('path_no_trust_anchor', 'no issuer found that chains to a trust anchor', {
        detail: { issuer: toHex(o.leaf.issuer.der) },
      })
    );
  }
  const revocation = await checkRevocation(o, found.path, found.anchor);
  return { path: found.path, anchor: found.anchor, revocation };
}

/** End-entity checks that need no issuer: validity, critical extensions, KU, EKU, policies. */
function checkLeaf(o: ValidatePathOptions): void {
  const leaf = o.leaf;
  const e = validityError(leaf, o.now, 0) ?? criticalError(leaf, 0);
  if (e) throw e;
  if (o.requiredKeyUsage?.length) {
    // RFC 5280 §4.2.1.3: an absent keyUsage means "any", but a caller that requires bits (JPKI:
    // nonRepudiation for signing) needs them asserted — fail closed.
    const ku = leaf.keyUsage;
    const missing = o.requiredKeyUsage.filter((u) => !ku?.usages.has(u));
    if (!ku || missing.length) {
      throw pkiError('path_key_usage', `end-entity keyUsage lacks ${missing.join(', ')}`, {
        detail: { depth: 0, missing },
      });
    }
  }
  if (o.requireKeyUsageCritical && leaf.keyUsage?.critical !== true) {
    throw pkiError('path_key_usage', 'end-entity keyUsage must be present and critical', {
      detail: { depth: 0 },
    });
  }
  if (o.requiredExtKeyUsage?.length) {
    const eku = leaf.extKeyUsage ?? [];
    const missing = o.requiredExtKeyUsage.filter((p) => !eku.includes(p));
    if (missing.length) {
      throw pkiError('path_key_usage', `end-entity extKeyUsage lacks ${missing.join(', ')}`, {
        detail: { depth: 0, missingExtKeyUsage: missing },
      });
    }
  }
  if (o.requiredPolicies?.length) {
    const have = leaf.policies ?? [];
    const missing = o.requiredPolicies.filter((p) => !have.includes(p));
    if (missing.length) {
      throw pkiError('path_policy', `end-entity certificate lacks policy ${missing.join(', ')}`, {
        detail: { missing },
      });
    }
  }
}

/** Depth-first path building with backtracking over issuer candidates. */
async function extend(
  s: Search,
  chain: Certificate[],
): Promise<{ path: Certificate[]; anchor: Certificate } | undefined> {
  const child = chain[chain.length - 1]!;
  const depth = chain.length; // depth the candidate issuer would have
  for (const { cert: cand, anchor } of candidates(s, child, chain)) {
    if (!(await signatureVerifies(s, child, cand))) {
      note(
        s,
        1,
        pkiError(
          'path_signature_invalid',
          `signature of the certificate at depth ${depth - 1} does not verify`,
          {
            detail: { depth: depth - 1, serial: toHex(child.serialBytes) },
          },
        ),
      );
      continue;
    }
    // From here `cand` really issued `child`; its failures outrank signature mismatches.
    const rank = 2 + depth;
    const err =
      (anchor && !s.checkAnchorValidity ? undefined : validityError(cand, s.o.now, depth)) ??
      criticalError(cand, depth) ??
      caError(cand, depth, anchor) ??
      pathLenError(cand, chain, depth);
    if (err) {
      note(s, rank, err);
      continue;
    }
    if (anchor) return { path: chain, anchor: cand };
    if (chain.length >= s.maxDepth) {
      note(
        s,
        rank,
        pkiError('path_too_long', `path longer than ${s.maxDepth} certificates`, {
          detail: { maxDepth: s.maxDepth },
        }),
      );
      continue;
    }
    const found = await extend(s, [...chain, cand]);
    if (found) return found;
  }
  return undefined;
}

/** Issuer candidates for `child`: anchors first, then unused intermediates; AKI-matched ones first. */
function candidates(
  s: Search,
  child: Certificate,
  chain: ReadonlyArray<Certificate>,
): { cert: Certificate; anchor: boolean }[] {
  const strong: { cert: Certificate; anchor: boolean }[] = [];
  const weak: { cert: Certificate; anchor: boolean }[] = [];
  const consider = (cert: Certificate, anchor: boolean): void => {
    if (!bytesEqual(cert.subject.der, child.issuer.der)) return;
    const aki = child.authorityKeyId;
    const ski = cert.subjectKeyId;
    if (aki && ski) {
      // RFC 5280 §4.2.1.1: the AKI names the issuer's key; a different SKI is a different key.
      if (bytesEqual(aki, ski)) strong.push({ cert, anchor });
      return;
    }
    weak.push({ cert, anchor });
  };
  for (const a of s.anchors) consider(a, true);
  for (const c of s.intermediates) {
    // No cycles: skip certificates already on the path, and copies of anchors (handled above).
    if (chain.some((p) => p === c || bytesEqual(p.der, c.der))) continue;
    if (s.anchors.some((a) => a === c || bytesEqual(a.der, c.der))) continue;
    consider(c, false);
  }
  // Anchors before intermediates within each strength (stable sort keeps that order).
  return [...strong, ...weak].sort((x, y) => Number(y.anchor) - Number(x.anchor));
}

async function signatureVerifies(s: Search, child: Certificate, issuer: Certificate): Promise<boolean> {
  if (s.o.cache?.has(child, issuer)) return true;
  if (++s.signatureChecks > MAX_SIGNATURE_CHECKS) {
    throw pkiError('path_too_long', `path building gave up after ${MAX_SIGNATURE_CHECKS} signature checks`);
  }
  const ok = await verifyWith(
    s.o.verifier,
    issuer.spki,
    child.signatureAlgorithm,
    child.tbs,
    child.signature,
  );
  if (ok) s.o.cache?.add(child, issuer);
  return ok;
}

/** Uses the node verifier's synchronous path when present (no promise per signature). */
function verifyWith(
  v: SignatureVerifier,
  spki: Uint8Array,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  sig: Uint8Array,
): boolean | Promise<boolean> {
  const sync = (v as { verifySync?: unknown }).verifySync;
  if (typeof sync === 'function') {
    return (sync as (a: Uint8Array, b: SignatureAlgorithm, c: Uint8Array, d: Uint8Array) => boolean).call(
      v,
      spki,
      alg,
      data,
      sig,
    );
  }
  return v.verify(spki, alg, data, sig);
}

function note(s: Search, rank: number, error: WatashiError<PkiErrorCode>): void {
  if (!s.best || rank > s.best.rank) s.best = { error, rank };
}

/** RFC 5280 §6.1.3 (a)(2): the validity period includes `now` (both bounds inclusive, §4.1.2.5). */
function validityError(c: Certificate, now: Date, depth: number): WatashiError<PkiErrorCode> | undefined {
  const t = now.getTime();
  if (t < c.notBefore.getTime()) {
    return pkiError('path_not_yet_valid', `certificate at depth ${depth} is not yet valid`, {
      detail: { depth, notBefore: c.notBefore.toISOString(), serial: toHex(c.serialBytes) },
    });
  }
  if (t > c.notAfter.getTime()) {
    return pkiError('path_expired', `certificate at depth ${depth} has expired`, {
      detail: { depth, notAfter: c.notAfter.toISOString(), serial: toHex(c.serialBytes) },
    });
  }
  return undefined;
}

/** RFC 5280 §6.1.4 (o) / §6.1.5 (f): reject critical extensions we do not process. */
function criticalError(c: Certificate, depth: number): WatashiError<PkiErrorCode> | undefined {
  if (c.unknownCriticalExtensions.length === 0) return undefined;
  return pkiError(
    'path_unknown_critical_extension',
    `certificate at depth ${depth} has unrecognised critical extension ${c.unknownCriticalExtensions.join(', ')}`,
    { detail: { depth, oids: [...c.unknownCriticalExtensions] } },
  );
}

/** RFC 5280 §6.1.4 (k) and (n), with the §4.2.1.9 criticality MUST. v1 anchors are accepted as configured trust. */
function caError(c: Certificate, depth: number, anchor: boolean): WatashiError<PkiErrorCode> | undefined {
  if (anchor && c.version !== 3) return undefined;
  const bc = c.basicConstraints;
  if (!bc?.ca || !bc.critical) {
    return pkiError(
      'path_basic_constraints',
      `issuer at depth ${depth} is not a CA (basicConstraints cA=TRUE, critical, is required)`,
      { detail: { depth } },
    );
  }
  if (!c.keyUsage?.usages.has('keyCertSign')) {
    return pkiError('path_key_usage', `issuer at depth ${depth} lacks keyUsage keyCertSign`, {
      detail: { depth },
    });
  }
  return undefined;
}

/**
 * RFC 5280 §6.1.4 (l)/(m): pathLenConstraint limits the non-self-issued intermediate CA
 * certificates below the CA (the leaf does not count).
 */
function pathLenError(
  c: Certificate,
  chain: ReadonlyArray<Certificate>,
  depth: number,
): WatashiError<PkiErrorCode> | undefined {
  const limit = c.basicConstraints?.pathLen;
  if (limit === undefined) return undefined;
  let below = 0;
  for (let i = 1; i < chain.length; i++) {
    const x = chain[i]!;
    if (!bytesEqual(x.subject.der, x.issuer.der)) below++;
  }
  if (below <= limit) return undefined;
  return pkiError(
    'path_basic_constraints',
    `CA at depth ${depth} allows ${limit} intermediate(s) below it, found ${below}`,
    { detail: { depth, pathLen: limit, intermediates: below } },
  );
}

/** Asks the checker about every non-anchor certificate, top-down, applying the policy. */
async function checkRevocation(
  o: ValidatePathOptions,
  path: ReadonlyArray<Certificate>,
  anchor: Certificate,
): Promise<PathRevocationResult[]> {
  const out: PathRevocationResult[] = new Array<PathRevocationResult>(path.length);
  const policy = o.revocationPolicy ?? 'hard-fail';
  for (let i = path.length - 1; i >= 0; i--) {
    const certificate = path[i]!;
    const issuer = path[i + 1] ?? anchor;
    if (o.revocation === 'not-checked') {
      out[i] = { certificate, issuer };
      continue;
    }
    const status = await runChecker(o.revocation, certificate, issuer);
    if (status.status === 'revoked') {
      throw pkiError('path_revoked', `certificate at depth ${i} is revoked`, {
        detail: {
          depth: i,
          serial: toHex(certificate.serialBytes),
          reason: status.reason ?? 'unspecified',
          ...(status.revocationTime ? { revocationTime: status.revocationTime.toISOString() } : {}),
        },
      });
    }
    if (status.status === 'unknown' && policy === 'hard-fail') {
      throw pkiError(
        'path_revocation_unknown',
        `revocation status of the certificate at depth ${i} is unknown`,
        {
          detail: { depth: i, serial: toHex(certificate.serialBytes), reason: status.detail ?? 'unknown' },
          cause: status.cause,
        },
      );
    }
    out[i] = { certificate, issuer, status };
  }
  return out;
}
