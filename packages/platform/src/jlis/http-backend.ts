/**
 * The JpkiBackend over HTTP. One implementation, two ways of finding the endpoints:
 *
 * - `simulator`: the J-LIS simulator's `GET /info` lists the OCSP URL, every CRL URL and every CA
 *   certificate (with its SHA-256), so the CRL of an issuer is found by the issuer's hash; the
 *   latest-basic-4 provision and consent registration are the simulator's `/basic4/latest` and
 *   `/consents` routes.
 * - `standard`: any standards-conforming CA: a configured OCSP URL and a list of full-CRL URLs; the
 *   CRL of an issuer is the first one that verifies against it. There is no standard protocol for
 *   the latest-basic-4 provision, so those calls fail with `jlis_not_supported`.
 *
 * Everything returned is verified against the issuer the caller passes (which the caller has chained
 * to a pinned root): OCSP responses by `verifyOcspResponse` (signature, authorised responder, CertID,
 * nonce, freshness), CRLs by `verifyCrl` (issuer DN and key, signature, thisUpdate/nextUpdate).
 * Network failures, timeouts, HTTP errors and oversized bodies are `jlis_unavailable`; a response
 * that does not verify keeps its `ocsp_*` / `crl_*` code. Nothing is ever reported `good` unverified.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildOcspRequest,
  toBase64,
  verifyCrl,
  verifyOcspResponse,
  WatashiError,
  type Certificate,
  type OcspSubject,
} from '@watashi/pki';
import { nodeCrlVerifier, nodeDigest, nodeVerifier, readCrlFile } from '@watashi/pki/node';
import type {
  JlisPurpose,
  JlisQueryOptions,
  JpkiBackend,
  LatestBasic4Result,
  ProvidedBasic4,
  RegisteredConsent,
  StatusEvidence,
  VerifiedCrl,
} from './backend.ts';

/** Error codes of the backend (besides the `ocsp_*` and `crl_*` codes of @watashi/pki). */
export type JlisErrorCode =
  /** J-LIS could not be reached, timed out, answered with an HTTP error or an oversized body. */
  | 'jlis_unavailable'
  /** J-LIS answered something that is not what the protocol says. */
  | 'jlis_protocol_error'
  /** No CRL or CA known for this issuer. */
  | 'jlis_unknown_issuer'
  /** The operation has no standard protocol (latest basic 4 and consent on a plain CA). */
  | 'jlis_not_supported'
  /** J-LIS refused the request (e.g. a consent signed with a revoked certificate). */
  | 'jlis_refused';

const jlisError = (
  code: JlisErrorCode,
  message: string,
  options?: { cause?: unknown; detail?: Record<string, unknown> },
): WatashiError => new WatashiError(code, message, options);

/** Where the endpoints are. */
export type HttpBackendEndpoints =
  | { readonly kind: 'simulator'; readonly baseUrl: string }
  | { readonly kind: 'standard'; readonly ocspUrl: string; readonly crlUrls: ReadonlyArray<string> };

/** Options of {@link HttpJpkiBackend}. */
export interface HttpJpkiBackendOptions {
  readonly endpoints: HttpBackendEndpoints;
  /** Sent as `X-Operator-Id`: J-LIS meters fees per operator. */
  readonly operatorId: string;
  /** The platform clock. */
  readonly now?: () => Date;
  readonly fetch?: typeof fetch;
  /** Per-request timeout (default 10 s for OCSP and JSON calls; CRL downloads get 10× this). */
  readonly timeoutMs?: number;
  /** Largest CRL accepted, in bytes (default 1 GiB; the DER is streamed to disk, never held). */
  readonly maxCrlBytes?: number;
  /** Where CRLs are written while being read (default the OS temp directory). */
  readonly tmpDir?: string;
  /** Whether OCSP requests carry a nonce (default false: J-LIS pre-produces responses; RFC 5019). */
  readonly ocspNonce?: boolean;
}

/** Largest OCSP response accepted (a JPKI response is ~2 KB). */
const MAX_OCSP_BYTES = 64 * 1024;
/** Largest JSON body accepted from the simulator. */
const MAX_JSON_BYTES = 1024 * 1024;

interface InfoDocument {
  readonly ocspUrl: string;
  readonly crls: ReadonlyArray<{ purpose: string; generation: string; url: string }>;
  readonly caCertificates: ReadonlyArray<{
    purpose: string;
    generation: string;
    url: string;
    sha256: string;
  }>;
}

const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The JpkiBackend over HTTP (see the module comment). */
export class HttpJpkiBackend implements JpkiBackend {
  readonly kind: string;
  readonly #o: HttpJpkiBackendOptions;
  readonly #now: () => Date;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #verifier = nodeVerifier();
  readonly #crlVerifier = nodeCrlVerifier();
  #info: Promise<InfoDocument> | undefined;

  constructor(options: HttpJpkiBackendOptions) {
    this.#o = options;
    this.kind = options.endpoints.kind;
    this.#now = options.now ?? (() => new Date());
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async ocspStatus(
    cert: OcspSubject,
    issuer: Certificate,
    options: JlisQueryOptions = {},
  ): Promise<StatusEvidence> {
    // Every call is a query: reusing fresh answers is CachingJpkiBackend's (ocsp-cache.ts), the one
    // cache, in front of the fee ledger so that a reused answer is neither a query nor a fee.
    const purpose = options.purpose ?? 'signature_verification';
    const useNonce = this.#o.ocspNonce ?? false;
    const now = this.#now();
    const url = await this.#ocspUrl();
    const nonce = useNonce ? new Uint8Array(randomBytes(32)) : undefined;
    const request = await buildOcspRequest({
      items: [{ cert, issuer }],
      ...(nonce === undefined ? {} : { nonce }),
      digest: nodeDigest,
    });
    const der = await this.#request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
      body: request,
      purpose,
      maxBytes: MAX_OCSP_BYTES,
      timeoutMs: options.timeoutMs,
    });
    const v = await verifyOcspResponse({
      der,
      cert,
      issuer,
      now,
      verifier: this.#verifier,
      digest: nodeDigest,
      ...(nonce === undefined ? {} : { nonce }),
    });
    return {
      source: 'ocsp',
      status: v.status,
      ...(v.reason === undefined ? {} : { reason: v.reason }),
      ...(v.revocationTime === undefined ? {} : { revokedAt: v.revocationTime }),
      thisUpdate: v.thisUpdate,
      ...(v.nextUpdate === undefined ? {} : { nextUpdate: v.nextUpdate }),
      checkedAt: now,
      ocspResponse: der,
      url,
    };
  }

  async fetchCrl(
    issuer: Certificate,
    options: JlisQueryOptions & { readonly minCrlNumber?: bigint } = {},
  ): Promise<VerifiedCrl> {
    const purpose = options.purpose ?? 'liveness_check';
    const candidates = await this.#crlUrlsFor(issuer);
    let lastError: unknown;
    for (const url of candidates) {
      try {
        return await this.#downloadCrl(url, issuer, purpose, options);
      } catch (e) {
        // With several configured CRLs, one issued by another CA is expected: try the next.
        if (candidates.length > 1 && e instanceof WatashiError && e.code === 'crl_issuer_mismatch') {
          lastError = e;
          continue;
        }
        throw e;
      }
    }
    throw jlisError('jlis_unknown_issuer', 'no configured CRL is issued by this CA', { cause: lastError });
  }

  async latestBasic4(
    serial: string,
    consentId: string | undefined,
    options: JlisQueryOptions = {},
  ): Promise<LatestBasic4Result> {
    const base = this.#simulatorBase('latest basic 4 information');
    const body = await this.#json<{
      status: string;
      newSerial?: string;
      basic4?: {
        name?: string;
        nameSubstitute?: string;
        dateOfBirth?: { era: number; date: string };
        sex?: string;
        address?: string;
        addressSubstitute?: string;
      };
    }>(
      `${base}/basic4/latest`,
      { serial, ...(consentId === undefined ? {} : { consentId }) },
      options.purpose ?? 'provision',
      options.timeoutMs,
    );
    if (body.status === 'not_revoked') return { outcome: 'not_revoked' };
    if (body.status === 'no_new_certificate') return { outcome: 'no_new_certificate' };
    if (body.status !== 'provided' || body.newSerial === undefined || !/^\d{1,40}$/.test(body.newSerial))
      throw jlisError('jlis_protocol_error', 'unexpected latest-basic-4 answer');
    const b = body.basic4 ?? {};
    const basic4: ProvidedBasic4 = {
      ...(b.name === undefined ? {} : { name: b.name }),
      ...(b.address === undefined ? {} : { address: b.address }),
      ...(b.dateOfBirth === undefined ? {} : { birthDate: isoFromJpkiDate(b.dateOfBirth.date) }),
      ...(b.sex === undefined ? {} : { sex: b.sex }),
      ...(b.nameSubstitute === undefined ? {} : { nameSubstitute: b.nameSubstitute }),
      ...(b.addressSubstitute === undefined ? {} : { addressSubstitute: b.addressSubstitute }),
    };
    return { outcome: 'provided', basic4, newSerial: body.newSerial, providedAt: this.#now() };
  }

  async registerConsent(cms: Uint8Array, options: JlisQueryOptions = {}): Promise<RegisteredConsent> {
    const base = this.#simulatorBase('consent registration');
    const c = await this.#json<{
      id: string;
      service: string;
      items: string[];
      recordedAt: string;
      validUntil: string;
    }>(`${base}/consents`, { cms: toBase64(cms) }, options.purpose ?? 'provision', options.timeoutMs);
    return {
      consentId: c.id,
      service: c.service,
      items: c.items,
      grantedAt: new Date(c.recordedAt),
      expiresAt: new Date(c.validUntil),
    };
  }

  async withdrawConsent(consentId: string, cms: Uint8Array, options: JlisQueryOptions = {}): Promise<void> {
    const base = this.#simulatorBase('consent withdrawal');
    await this.#json(
      `${base}/consents/${encodeURIComponent(consentId)}/withdraw`,
      { cms: toBase64(cms) },
      options.purpose ?? 'provision',
      options.timeoutMs,
    );
  }

  // ---- endpoints ---------------------------------------------------------------------------

  #simulatorBase(what: string): string {
    const e = this.#o.endpoints;
    if (e.kind !== 'simulator')
      throw jlisError('jlis_not_supported', `${what} has no standard protocol; it needs the J-LIS gateway`);
    return e.baseUrl.replace(/\/+$/, '');
  }

  #infoDoc(): Promise<InfoDocument> {
    const e = this.#o.endpoints;
    if (e.kind !== 'simulator') throw new TypeError('no /info on a standard CA');
    this.#info ??= (async () => {
      const res = await this.#request(`${e.baseUrl.replace(/\/+$/, '')}/info`, {
        method: 'GET',
        headers: { accept: 'application/json' },
        purpose: 'liveness_check',
        maxBytes: MAX_JSON_BYTES,
      });
      const doc = parseJson(res) as Partial<InfoDocument>;
      if (typeof doc.ocspUrl !== 'string' || !Array.isArray(doc.crls) || !Array.isArray(doc.caCertificates))
        throw jlisError('jlis_protocol_error', 'the simulator /info document is not as documented');
      return doc as InfoDocument;
    })();
    // A failed lookup is not remembered: the next call tries again.
    this.#info.catch(() => (this.#info = undefined));
    return this.#info;
  }

  async #ocspUrl(): Promise<string> {
    const e = this.#o.endpoints;
    return e.kind === 'standard' ? e.ocspUrl : (await this.#infoDoc()).ocspUrl;
  }

  async #crlUrlsFor(issuer: Certificate): Promise<ReadonlyArray<string>> {
    const e = this.#o.endpoints;
    if (e.kind === 'standard') return e.crlUrls;
    const info = await this.#infoDoc();
    const hash = sha256Hex(issuer.der);
    const ca = info.caCertificates.find((c) => c.sha256.toLowerCase() === hash);
    const crl = ca && info.crls.find((c) => c.purpose === ca.purpose && c.generation === ca.generation);
    if (!crl) throw jlisError('jlis_unknown_issuer', 'the simulator publishes no CRL for this CA');
    return [crl.url];
  }

  // ---- transport ---------------------------------------------------------------------------

  async #downloadCrl(
    url: string,
    issuer: Certificate,
    purpose: JlisPurpose,
    options: JlisQueryOptions & { readonly minCrlNumber?: bigint },
  ): Promise<VerifiedCrl> {
    const dir = await mkdtemp(join(this.#o.tmpDir ?? tmpdir(), 'watashi-crl-'));
    const file = join(dir, 'crl.der');
    try {
      await this.#download(url, file, purpose, options.timeoutMs ?? this.#timeoutMs * 10);
      const bytes = (await stat(file)).size;
      const index = await readCrlFile(file);
      await verifyCrl(index, issuer.spki, this.#crlVerifier, {
        issuerName: issuer.subject.der,
        ...(issuer.subjectKeyId === undefined ? {} : { issuerKeyId: issuer.subjectKeyId }),
        digest: nodeDigest,
        now: this.#now(),
      });
      if (
        options.minCrlNumber !== undefined &&
        (index.crlNumber === undefined || index.crlNumber < options.minCrlNumber)
      )
        throw new WatashiError('crl_stale', 'the CRL is older than one already seen', {
          detail: { crlNumber: index.crlNumber?.toString(), minCrlNumber: options.minCrlNumber.toString() },
        });
      return {
        issuer,
        index,
        crlNumber: index.crlNumber,
        thisUpdate: index.thisUpdate,
        nextUpdate: index.nextUpdate,
        url,
        bytes,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  #headers(purpose: JlisPurpose): Record<string, string> {
    return { 'x-operator-id': this.#o.operatorId, 'x-check-purpose': purpose };
  }

  async #fetchOk(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: Uint8Array | string },
    purpose: JlisPurpose,
    timeoutMs: number,
  ): Promise<Response> {
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method: init.method,
        headers: { ...init.headers, ...this.#headers(purpose) },
        ...(init.body === undefined
          ? {}
          : { body: typeof init.body === 'string' ? init.body : Buffer.from(init.body) }),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (cause) {
      throw jlisError('jlis_unavailable', `J-LIS is unreachable (${new URL(url).host})`, {
        cause,
        detail: { url },
      });
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let code: string | undefined;
      try {
        code = (JSON.parse(text) as { code?: string }).code;
      } catch {
        code = undefined;
      }
      await res.body?.cancel().catch(() => undefined);
      const refused = res.status >= 400 && res.status < 500;
      throw jlisError(
        refused ? 'jlis_refused' : 'jlis_unavailable',
        `J-LIS answered HTTP ${res.status}${code ? ` (${code})` : ''}`,
        {
          detail: { url, status: res.status, ...(code === undefined ? {} : { jlisCode: code }) },
        },
      );
    }
    return res;
  }

  async #request(
    url: string,
    o: {
      method: string;
      headers: Record<string, string>;
      body?: Uint8Array;
      purpose: JlisPurpose;
      maxBytes: number;
      timeoutMs?: number | undefined;
    },
  ): Promise<Uint8Array> {
    const timeoutMs = o.timeoutMs ?? this.#timeoutMs;
    const res = await this.#fetchOk(
      url,
      { method: o.method, headers: o.headers, ...(o.body === undefined ? {} : { body: o.body }) },
      o.purpose,
      timeoutMs,
    );
    return readLimited(res, o.maxBytes, url);
  }

  async #json<T>(url: string, body: unknown, purpose: JlisPurpose, timeoutMs?: number): Promise<T> {
    const res = await this.#fetchOk(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      },
      purpose,
      timeoutMs ?? this.#timeoutMs,
    );
    return parseJson(await readLimited(res, MAX_JSON_BYTES, url)) as T;
  }

  async #download(url: string, file: string, purpose: JlisPurpose, timeoutMs: number): Promise<void> {
    const res = await this.#fetchOk(
      url,
      { method: 'GET', headers: { accept: 'application/pkix-crl' } },
      purpose,
      timeoutMs,
    );
    const max = this.#o.maxCrlBytes ?? 1024 * 1024 * 1024;
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > max) {
      await res.body?.cancel().catch(() => undefined);
      throw jlisError('jlis_unavailable', `the CRL is larger than ${max} bytes`, {
        detail: { url, bytes: declared },
      });
    }
    const out = createWriteStream(file, { mode: 0o600 });
    let total = 0;
    try {
      if (res.body === null) throw jlisError('jlis_protocol_error', 'empty CRL response');
      for await (const chunk of res.body) {
        total += chunk.length;
        if (total > max)
          throw jlisError('jlis_unavailable', `the CRL is larger than ${max} bytes`, { detail: { url } });
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
    } catch (e) {
      out.destroy();
      if (e instanceof WatashiError) throw e;
      throw jlisError('jlis_unavailable', 'the CRL download failed', { cause: e, detail: { url } });
    }
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }
}

async function readLimited(res: Response, max: number, url: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw jlisError('jlis_unavailable', `the answer is larger than ${max} bytes`, { detail: { url } });
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body !== null) {
    try {
      for await (const chunk of res.body) {
        total += chunk.length;
        if (total > max)
          throw jlisError('jlis_unavailable', `the answer is larger than ${max} bytes`, { detail: { url } });
        chunks.push(chunk);
      }
    } catch (e) {
      if (e instanceof WatashiError) throw e;
      throw jlisError('jlis_unavailable', 'the answer was cut off', { cause: e, detail: { url } });
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (cause) {
    throw jlisError('jlis_protocol_error', 'J-LIS sent a body that is not JSON', { cause });
  }
}

/** `EYYYYMMDD` (docs/jpki.md §1.3) or `YYYY-MM-DD` → `YYYY-MM-DD`. */
function isoFromJpkiDate(s: string): string {
  const m = /^(?:\d)?(\d{4})-?(\d{2})-?(\d{2})$/.exec(s);
  if (!m) throw jlisError('jlis_protocol_error', 'unexpected date of birth format');
  return `${m[1]}-${m[2]}-${m[3]}`;
}
