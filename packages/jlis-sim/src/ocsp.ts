/**
 * RFC 6960 OCSP responder with J-LIS's refresh cadence (docs/jpki.md §2.2: the responder's
 * revocation data is updated every 15 minutes). At each refresh the responder copies the CA's
 * certificate statuses into a snapshot; every answer until the next refresh reflects that snapshot,
 * with thisUpdate = the refresh time and nextUpdate = the next refresh.
 *
 * Speed (docs/performance.md anchor A7): responses to nonce-less requests are produced once per
 * (CA, hash algorithm, serial) and cached until the next refresh, so the hot path is a parse and a
 * map lookup; only requests with a nonce (RFC 6960 §4.4.1) are signed live. Responses are signed
 * by the issuing CA's own key (RFC 6960 §4.2.2.2, case 1), ResponderID byKey.
 *
 * Unknown issuer (no CA of ours matches the CertID's name and key hashes): by default the unsigned
 * `unauthorized` status (RFC 6960 §2.3; RFC 5019 §2.2.3 — we hold no key that could sign for that
 * issuer); with `ocspUnknownIssuer: 'unknown'` a signed `unknown` certStatus (RFC 6960 §2.2), signed
 * by the newest signing CA. A known issuer with a serial it never issued gets `unknown`; a
 * certificate issued since the last refresh is `good` (the cadence is that of revocation data). A request
 * that does not parse gets `malformedRequest`. Requests whose items span several CAs are answered
 * by the CA of the first item; items of other CAs get `unknown` (one response has one signer).
 */
import {
  buildOcspResponse,
  ocspErrorResponse,
  parseOcspRequest,
  toHex,
  type CertId,
  type CrlReason,
} from '@watashi/pki';
import { allCas, issuingCa } from './ca.ts';
import { caKey, type CaRuntime, type SimContext } from './context.ts';
import { recordFee } from './fees.ts';

/** A status as the responder serves it. */
type SnapshotStatus = { type: 'good' } | { type: 'revoked'; revocationTime: Date; reason: CrlReason };

/** What one answer contained (for logs, fees and tests). */
export interface OcspAnswer {
  readonly der: Uint8Array;
  /** OCSPResponseStatus; `successful` when signed. */
  readonly responseStatus: 'successful' | 'malformedRequest' | 'unauthorized' | 'internalError';
  /** Whether the answer came from the pre-produced cache. */
  readonly cached: boolean;
  /** Seconds until nextUpdate, for HTTP caching of GET answers (RFC 5019 §6.2); 0 when not cacheable. */
  readonly maxAgeSeconds: number;
}

/** The responder of one simulator. */
export class OcspResponder {
  private snapshot = new Map<string, Map<string, SnapshotStatus>>();
  private cache = new Map<string, Uint8Array>();
  private byCertIdKey = new Map<string, CaRuntime>();
  private refreshedAtMs = 0;
  /** Bound on cached responses (a response is ~1 KB). */
  private readonly maxCache = 200_000;

  constructor(private readonly ctx: SimContext) {}

  /** Time of the last refresh. */
  get refreshedAt(): Date {
    return new Date(this.refreshedAtMs);
  }

  /** Time of the next scheduled refresh (the nextUpdate of every answer). */
  get nextUpdate(): Date {
    return new Date(this.refreshedAtMs + this.ctx.config.ocspRefreshSeconds * 1000);
  }

  /** Takes a new status snapshot and drops every pre-produced answer. */
  refresh(): Date {
    const snap = new Map<string, Map<string, SnapshotStatus>>();
    this.byCertIdKey.clear();
    for (const ca of allCas(this.ctx)) {
      snap.set(caKey(ca.purpose, ca.generation), new Map());
      for (const alg of ['SHA-1', 'SHA-256'] as const)
        this.byCertIdKey.set(`${alg}:${ca.certIdKeys[alg]}`, ca);
    }
    for (const c of Object.values(this.ctx.state.certificates)) {
      const m = snap.get(caKey(c.purpose, c.generation));
      if (!m) continue;
      m.set(
        c.serial,
        c.status.type === 'good'
          ? { type: 'good' }
          : { type: 'revoked', revocationTime: new Date(c.status.at), reason: c.status.reason },
      );
    }
    this.snapshot = snap;
    this.cache = new Map();
    this.refreshedAtMs = this.ctx.clock.now().getTime();
    this.ctx.log.debug({ at: this.refreshedAt.toISOString() }, 'OCSP data refreshed');
    return this.refreshedAt;
  }

  private statusOf(ca: CaRuntime, serial: bigint): SnapshotStatus | { type: 'unknown' } {
    const s = serial.toString();
    const snap = this.snapshot.get(caKey(ca.purpose, ca.generation))?.get(s);
    if (snap) return snap;
    // Issued after the last refresh: the cadence applies to revocation data, so a certificate the
    // CA issued is good at once (its revocation shows after the next refresh); never-issued → unknown.
    const rec = this.ctx.state.certificates[s];
    return rec && rec.purpose === ca.purpose && rec.generation === ca.generation
      ? { type: 'good' }
      : { type: 'unknown' };
  }

  private caOf(id: CertId): CaRuntime | undefined {
    return this.byCertIdKey.get(`${id.hashAlgorithm}:${toHex(id.issuerNameHash)}${toHex(id.issuerKeyHash)}`);
  }

  /** Answers one DER OCSPRequest from `operatorId`, metering each known-issuer item under `purpose`. */
  async respond(requestDer: Uint8Array, operatorId: string, purpose: string): Promise<OcspAnswer> {
    let req: ReturnType<typeof parseOcspRequest>;
    try {
      req = parseOcspRequest(requestDer);
    } catch (e) {
      this.ctx.log.debug({ err: e }, 'malformed OCSP request');
      return {
        der: ocspErrorResponse('malformedRequest'),
        responseStatus: 'malformedRequest',
        cached: false,
        maxAgeSeconds: 0,
      };
    }
    if (req.items.length === 0) {
      return {
        der: ocspErrorResponse('malformedRequest'),
        responseStatus: 'malformedRequest',
        cached: false,
        maxAgeSeconds: 0,
      };
    }
    const cas = req.items.map((i) => this.caOf(i.certId));
    let signerCa = cas.find((c) => c !== undefined);
    if (cas.includes(undefined) && this.ctx.config.ocspUnknownIssuer === 'unauthorized') {
      return {
        der: ocspErrorResponse('unauthorized'),
        responseStatus: 'unauthorized',
        cached: false,
        maxAgeSeconds: 0,
      };
    }
    signerCa ??= issuingCa(this.ctx, 'sign');
    for (const ca of cas) {
      if (ca) recordFee(this.ctx, operatorId, purpose, ca.purpose === 'sign' ? 'ocsp-sign' : 'ocsp-auth');
    }
    const now = this.ctx.clock.now();
    const maxAgeSeconds = Math.max(0, Math.floor((this.nextUpdate.getTime() - now.getTime()) / 1000));
    const single = req.items.length === 1 && req.nonce === undefined;
    const first = req.items[0]!.certId;
    const cacheKey = single
      ? `${first.hashAlgorithm}:${toHex(first.issuerNameHash)}${toHex(first.issuerKeyHash)}:${first.serial.toString(16)}`
      : '';
    if (single) {
      const hit = this.cache.get(cacheKey);
      if (hit) return { der: hit, responseStatus: 'successful', cached: true, maxAgeSeconds };
    }
    try {
      const der = await buildOcspResponse({
        signer: signerCa.signer,
        producedAt: now,
        responses: req.items.map((item, i) => ({
          certId: item.certId,
          status:
            cas[i] === signerCa ? this.statusOf(signerCa, item.certId.serial) : { type: 'unknown' as const },
          thisUpdate: this.refreshedAt,
          nextUpdate: this.nextUpdate,
        })),
        ...(req.nonce === undefined ? {} : { nonce: req.nonce }),
      });
      if (single) {
        if (this.cache.size >= this.maxCache) this.cache.clear();
        this.cache.set(cacheKey, der);
      }
      return {
        der,
        responseStatus: 'successful',
        cached: false,
        maxAgeSeconds: req.nonce === undefined ? maxAgeSeconds : 0,
      };
    } catch (e) {
      this.ctx.log.error({ err: e }, 'OCSP signing failed');
      return {
        der: ocspErrorResponse('internalError'),
        responseStatus: 'internalError',
        cached: false,
        maxAgeSeconds: 0,
      };
    }
  }
}
