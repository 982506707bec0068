/**
 * The public verification page (issue 20): anyone, without an account, checks a signed PDF, a
 * detached `.p7s` with the file it signs, or a CMS that carries its content.
 *
 * - `GET /verify`: the page (Japanese first, plain words: the EN 319 102-1 indication and
 *   sub-indication are shown as they are and said in words), with a script at `GET /verify.js`
 *   (the platform's CSP allows scripts from itself only).
 * - `POST /api/signatures/verify` with an `application/pdf` body (≤ 10 MiB): the PAdES report of
 *   `@watashi/signature` as JSON; `POST /api/signatures/verify/cms` with JSON
 *   `{ signature, content? }` (base64): the CAdES report in the same shape (`signatures: [report]`). Anchors: the J-LIS signing CAs of
 *   the trust store, and Watashi's own TSA. Nothing is stored and nothing is fetched: the evidence
 *   in the file decides.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { fromBase64, parseCertificate } from '@watashi/pki';
import { nodeVerifier } from '@watashi/pki/node';
import { validateCades, validatePdf, type PdfValidationReport } from '@watashi/signature';
import type { PlatformDeps } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { invalidAs, withSchemas } from '../server/schemas.ts';
import { platformTsa } from '../tsa/index.ts';
import { existingCaCertificates } from '../devices/ca.ts';
import { registerSigningRoutes } from './sign.ts';

const MAX_PDF = 10 * 1024 * 1024;
/** A .p7s and the file it signs, base64 in JSON: 10 MiB of content and 1 MiB of signature. */
const MAX_JSON = Math.ceil((11 * 1024 * 1024 * 4) / 3) + 1024;
const b64 = z
  .string()
  .max(MAX_JSON)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/);
const cmsBody = z.strictObject({
  signature: b64.min(1).describe('the CMS SignedData (a .p7s), DER in base64'),
  content: b64.optional().describe('the file it signs, base64 (for a detached signature)'),
});
/** The report of @watashi/signature (`ValidationReport`, validate.ts), member by member. */
const signatureReport = z.object({
  indication: z.enum(['TOTAL-PASSED', 'INDETERMINATE', 'TOTAL-FAILED']),
  subIndication: z.string().optional().describe('ETSI EN 319 102-1 §5.1.3'),
  code: z.string().optional(),
  message: z.string(),
  format: z.enum(['CAdES', 'PAdES']),
  level: z.enum(['B-B', 'B-T', 'B-LT', 'B-LTA']),
  signer: z
    .object({
      subject: z.string(),
      commonName: z.string().optional(),
      name: z.string().optional(),
      issuer: z.string(),
      serial: z.string(),
      notBefore: z.string(),
      notAfter: z.string(),
    })
    .optional(),
  claimedSigningTime: z.string().optional(),
  provenAt: z.string().optional(),
  validationTime: z.string(),
  timeStamps: z
    .array(
      z.object({
        kind: z.enum(['signature', 'archive', 'document']),
        genTime: z.string().optional(),
        tsa: z.string().optional(),
        status: z.enum(['valid', 'untrusted', 'invalid']),
        code: z.string().optional(),
      }),
    )
    .readonly(),
  revocation: z
    .object({
      source: z.enum(['ocsp', 'crl', 'online']),
      embedded: z.boolean(),
      status: z.enum(['good', 'revoked', 'unknown']),
      reason: z.string().optional(),
      revokedAt: z.string().optional(),
      issuedAt: z.string().optional(),
    })
    .optional(),
  networkUsed: z.boolean(),
});
const cmsReport = z.object({
  format: z.literal('CAdES'),
  signatures: z.array(signatureReport).readonly(),
  documentTimeStamps: z.array(z.never()),
});

const PAGE = `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>署名を確かめる / Verify a signature</title>
<link rel="stylesheet" href="/verify.css">
</head>
<body>
<main>
<h1>署名を確かめる</h1>
<p>電子署名されたファイルを選ぶと、署名が有効か、だれが署名したか、いつ署名したことが証明されているかを表示します。アカウントは要りません。ファイルは保存しません。</p>
<p lang="en">Choose a signed file to see whether the signature is valid, who signed it and when the signature is proven to exist. No account needed; the file is not kept.</p>
<form id="verify-form">
<p><label for="file">署名されたファイル（PDF、または署名ファイル .p7s） / Signed PDF or signature file (.p7s)</label><br>
<input id="file" name="file" type="file" required></p>
<p><label for="content">もとのファイル（署名ファイル .p7s を確かめるときだけ） / The signed file (only with a .p7s)</label><br>
<input id="content" name="content" type="file"></p>
<button type="submit">確かめる / Verify</button>
</form>
<section id="result" aria-live="polite"></section>
</main>
<script src="/verify.js"></script>
</body>
</html>
`;

const STYLE = `body { font-family: system-ui, 'Noto Sans CJK JP', sans-serif; line-height: 1.6; margin: 0; color: #1a1a1a; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; }
h2 { font-size: 1.2rem; margin: 0 0 0.5rem; }
label { font-weight: 600; }
input[type=file] { display: block; width: 100%; min-height: 44px; margin-top: 0.25rem; font-size: 1rem; }
button { min-height: 44px; min-width: 44px; padding: 0.5rem 1.25rem; font-size: 1rem; background: #0b57d0; color: #fff; border: 0; border-radius: 0.5rem; }
button:focus-visible, input:focus-visible { outline: 3px solid #f9a825; outline-offset: 2px; }
section.signature { border: 2px solid #5f6368; border-radius: 0.5rem; padding: 0.75rem 1rem; margin: 1rem 0; overflow-wrap: anywhere; }
section.signature[data-indication='TOTAL-PASSED'] { border-color: #137333; }
section.signature[data-indication='TOTAL-FAILED'] { border-color: #b3261e; }
`;

const SCRIPT = `'use strict';
(function () {
  var form = document.getElementById('verify-form');
  var out = document.getElementById('result');
  function line(parent, text, id) {
    var p = document.createElement('p');
    p.textContent = text;
    if (id) p.id = id;
    parent.appendChild(p);
    return p;
  }
  var WORDS = {
    'TOTAL-PASSED': '有効な署名です。',
    'INDETERMINATE': 'この署名は、有効とも無効とも確かめられませんでした。',
    'TOTAL-FAILED': 'この署名は無効です。'
  };
  // EN 319 102-1 §5.1.3 sub-indications, in plain words.
  var SUB = {
    FORMAT_FAILURE: 'ファイルが署名の形式になっていません。',
    HASH_FAILURE: '署名したあとで、文書が変更されています。',
    SIG_CRYPTO_FAILURE: '署名の値が正しくありません。',
    REVOKED: '署名した時点で、証明書はすでに失効していました。',
    EXPIRED: '署名した時点で、証明書の有効期限は切れていました。',
    NOT_YET_VALID: '署名した時点で、証明書はまだ有効になっていませんでした。',
    NO_SIGNING_CERTIFICATE_FOUND: '署名者の証明書が見つかりません。',
    NO_CERTIFICATE_CHAIN_FOUND: '署名者の証明書が、信頼できる発行元（地方公共団体情報システム機構など）につながりません。',
    CHAIN_CONSTRAINTS_FAILURE: '署名者の証明書の発行のしかたが条件を満たしません。',
    REVOKED_NO_POE: '証明書は失効しています。失効より前に署名したことを示す時刻の証明がありません。',
    OUT_OF_BOUNDS_NO_POE: '証明書の有効期間の外です。期間内に署名したことを示す時刻の証明がありません。',
    NO_POE: '時刻の証明が、信頼できる時刻認証局のものではありません。',
    TRY_LATER: '署名した時点の証明書の状態を示す証拠がありません。時間をおいて、もう一度お試しください。',
    SIGNED_DATA_NOT_FOUND: 'この署名を確かめるには、もとのファイルが必要です。「もとのファイル」も選んでください。'
  };
  function b64(buf) {
    var b = new Uint8Array(buf), s = '';
    for (var i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
    return btoa(s);
  }
  function when(iso) { return new Date(iso).toLocaleString('ja-JP'); }
  function show(r) {
    out.textContent = '';
    if (r.code === 'signature_not_found') return line(out, 'このPDFには署名がありません。', 'verdict-none');
    if (!r.signatures) return line(out, 'このファイルは確かめられませんでした。署名されたPDFか、署名ファイル（.p7s）を選んでください。', 'verdict-unreadable');
    r.signatures.forEach(function (s, i) {
      var box = document.createElement('section');
      box.className = 'signature';
      box.setAttribute('data-indication', s.indication);
      var h = document.createElement('h2');
      h.textContent = '署名 ' + (i + 1) + ': ' + (WORDS[s.indication] || s.indication);
      box.appendChild(h);
      line(box, '判定（ETSI EN 319 102-1）: ' + s.indication + (s.subIndication ? ' / ' + s.subIndication : ''));
      if (s.subIndication) line(box, '理由: ' + (SUB[s.subIndication] || s.message));
      if (s.signer) line(box, '署名した人（証明書の記載）: ' + (s.signer.name || s.signer.commonName || s.signer.subject));
      if (s.provenAt) line(box, '署名が存在したことが証明された時刻: ' + when(s.provenAt));
      else if (s.claimedSigningTime) line(box, '署名者が記した時刻（証明はありません）: ' + when(s.claimedSigningTime));
      if (s.level) line(box, '署名の形式: ' + s.format + ' ' + s.level + (s.networkUsed === false ? '（ファイルの中の証拠だけで確かめました）' : ''));
      out.appendChild(box);
    });
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var f = document.getElementById('file').files[0];
    var c = document.getElementById('content').files[0];
    if (!f) return;
    out.textContent = '確かめています…';
    f.arrayBuffer().then(function (buf) {
      var head = String.fromCharCode.apply(null, new Uint8Array(buf.slice(0, 1024)));
      if (head.indexOf('%PDF-') >= 0)
        return fetch('/api/signatures/verify', { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: buf });
      var body = { signature: b64(buf) };
      var content = c ? c.arrayBuffer() : Promise.resolve(undefined);
      return content.then(function (cb) {
        if (cb) body.content = b64(cb);
        return fetch('/api/signatures/verify/cms', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      });
    })
      .then(function (r) { return r.json(); })
      .then(function (r) {
        show(r);
      })
      .catch(function () { out.textContent = '確かめられませんでした。時間をおいてもう一度お試しください。'; });
  });
})();
`;

/** Registers the verification page and its API, and the wallet's signing API (sign.ts). */
export async function registerSignatureRoutes(app: FastifyInstance, deps: PlatformDeps): Promise<void> {
  registerSigningRoutes(app, deps);
  const tsa = platformTsa(deps);
  const verifier = nodeVerifier();
  // The JPKI signing roots and Watashi's own root: a document signed with a resident's Watashi
  // signing certificate (issue 18) verifies here as one signed with the card does.
  const anchors = async () => {
    const ca = await existingCaCertificates(deps);
    return [...deps.trust.anchors('sign'), ...(ca === undefined ? [] : [ca.root])];
  };
  app.get('/verify', { config: { auth: 'public' } }, (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'public, max-age=3600').send(PAGE),
  );
  app.get('/verify.css', { config: { auth: 'public' } }, (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLE),
  );
  app.get('/verify.js', { config: { auth: 'public' } }, (_req, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(SCRIPT),
  );
  await app.register((scope, _opts, done) => {
    scope.addContentTypeParser(
      'application/pdf',
      { parseAs: 'buffer', bodyLimit: MAX_PDF },
      (_req, body, next) => {
        next(null, body);
      },
    );
    withSchemas(scope).post(
      '/api/signatures/verify',
      {
        config: { auth: 'public', rateLimit: 'default' },
        schema: {
          summary: 'Validate a signed PDF (PAdES); nothing is stored',
          consumes: ['application/pdf'],
          // The PDF's bytes, as the parser above hands them over; any other body is refused.
          body: z.instanceof(Buffer),
          response: {
            200: z
              .custom<PdfValidationReport>((v) => typeof v === 'object' && v !== null)
              .describe('the PAdES validation report of @watashi/signature (PdfValidationReport)'),
          },
        },
        schemaErrorFormatter: invalidAs(() =>
          problem('signature_request_invalid', 415, 'send an application/pdf body'),
        ),
      },
      async (req, reply) => {
        const report = await validatePdf({
          pdf: new Uint8Array(req.body),
          anchors: await anchors(),
          tsaAnchors: [parseCertificate((await tsa()).certificate)],
          now: deps.now(),
          verifier,
        });
        return reply.header('cache-control', 'no-store').send(report);
      },
    );
    done();
  });
  // CAdES: a detached .p7s with the file it signs, or a CMS that carries its content.
  withSchemas(app).post(
    '/api/signatures/verify/cms',
    {
      bodyLimit: MAX_JSON,
      config: { auth: 'public', rateLimit: 'default' },
      schemaErrorFormatter: invalidAs((d) => problem('signature_request_invalid', 400, d)),
      schema: {
        summary: 'Validate a CAdES signature (a detached .p7s with its file, or an attached CMS)',
        body: cmsBody,
        response: { 200: cmsReport },
      },
    },
    async (req, reply) => {
      const report = await validateCades({
        cms: fromBase64(req.body.signature),
        ...(req.body.content === undefined ? {} : { content: fromBase64(req.body.content) }),
        anchors: await anchors(),
        tsaAnchors: [parseCertificate((await tsa()).certificate)],
        now: deps.now(),
        verifier,
      });
      return reply
        .header('cache-control', 'no-store')
        .send({ format: 'CAdES' as const, signatures: [report], documentTimeStamps: [] });
    },
  );
}
