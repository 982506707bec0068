/**
 * The public verification page (issue 20): anyone, without an account, checks a signed PDF.
 *
 * - `GET /verify`: the page (Japanese first, plain words), with a script at `GET /verify.js` (the
 *   platform's CSP allows scripts from itself only).
 * - `POST /api/signatures/verify` with an `application/pdf` body (≤ 10 MiB): the PAdES report of
 *   `@watashi/signature` as JSON. Anchors: the J-LIS signing CAs of the trust store, and Watashi's
 *   own TSA. Nothing is stored and nothing is fetched: the evidence in the file decides.
 */
import type { FastifyInstance } from 'fastify';
import { parseCertificate } from '@watashi/pki';
import { nodeVerifier } from '@watashi/pki/node';
import { validatePdf, type PdfValidationReport } from '@watashi/signature';
import { z } from 'zod';
import type { PlatformDeps } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { invalidAs, withSchemas } from '../server/schemas.ts';
import { platformTsa } from '../tsa/index.ts';

const MAX_PDF = 10 * 1024 * 1024;

const PAGE = `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>署名を確かめる / Verify a signature</title>
</head>
<body>
<main>
<h1>署名を確かめる</h1>
<p>電子署名されたPDFを選ぶと、だれが署名したか、いつ署名したことが証明されているかを表示します。ファイルは保存しません。</p>
<p lang="en">Choose a signed PDF to see who signed it and when the signature is proven to exist. The file is not kept.</p>
<form id="verify-form">
<label for="file">PDFファイル / PDF file</label>
<input id="file" name="file" type="file" accept="application/pdf" required>
<button type="submit">確かめる / Verify</button>
</form>
<section id="result" aria-live="polite"></section>
</main>
<script src="/verify.js"></script>
</body>
</html>
`;

const SCRIPT = `'use strict';
(function () {
  var form = document.getElementById('verify-form');
  var out = document.getElementById('result');
  function line(text) { var p = document.createElement('p'); p.textContent = text; out.appendChild(p); }
  var WORDS = {
    'TOTAL-PASSED': '有効な署名です',
    'INDETERMINATE': 'この署名は確認できませんでした',
    'TOTAL-FAILED': 'この署名は無効です'
  };
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var f = document.getElementById('file').files[0];
    if (!f) return;
    out.textContent = '確認しています…';
    fetch('/api/signatures/verify', { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: f })
      .then(function (r) { return r.json(); })
      .then(function (r) {
        out.textContent = '';
        if (r.code === 'signature_not_found') return line('このPDFには署名がありません。');
        if (!r.signatures) return line('このファイルは確認できませんでした。');
        r.signatures.forEach(function (s, i) {
          line('署名 ' + (i + 1) + ': ' + (WORDS[s.indication] || s.indication));
          if (s.signer) line('署名した人: ' + (s.signer.name || s.signer.commonName || s.signer.subject));
          if (s.provenAt) line('署名が存在したことが証明された時刻: ' + new Date(s.provenAt).toLocaleString('ja-JP'));
          else if (s.claimedSigningTime) line('署名者が記した時刻（証明なし）: ' + new Date(s.claimedSigningTime).toLocaleString('ja-JP'));
        });
      })
      .catch(function () { out.textContent = '確認できませんでした。時間をおいてもう一度お試しください。'; });
  });
})();
`;

/** Registers the verification page and its API. */
export async function registerSignatureRoutes(app: FastifyInstance, deps: PlatformDeps): Promise<void> {
  const tsa = platformTsa(deps);
  const verifier = nodeVerifier();
  app.get('/verify', { config: { auth: 'public' } }, (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'public, max-age=3600').send(PAGE),
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
          anchors: deps.trust.anchors('sign'),
          tsaAnchors: [parseCertificate((await tsa()).certificate)],
          now: deps.now(),
          verifier,
        });
        return reply.header('cache-control', 'no-store').send(report);
      },
    );
    done();
  });
}
