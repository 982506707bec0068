/**
 * The counter page (docs/credentials.md; DESIGN §1 counter staff): plain HTML in large type that
 * shows a QR with an OpenID4VP request, polls for the result, and shows only the answer to the
 * question asked. Served by the platform with its strict CSP, so script and style are files.
 *
 * `/counter/offline` is the same check for a counter with no network at the moment of the check
 * (docs/credentials.md §4.1): its script is built with the wallet (packages/wallet/src/counter/,
 * served at `/wallet/counter-offline.js`) because it verifies the presentation in the browser with
 * the `@sd-jwt` library, reads QR codes with jsQR and draws them with uqr.
 */

/** `GET /counter`. */
export const COUNTER_HTML = `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>年齢の確認 — 民間ID 対面確認</title>
<link rel="stylesheet" href="/counter/counter.css">
<script type="module" src="/counter/counter.js"></script>
</head>
<body>
<main>
<h1>年齢の確認（20歳以上）</h1>
<p id="ask">お客さまに、民間IDのウォレットでこのコードを読み取ってもらってください。</p>
<div id="qr" aria-label="確認用のQRコード" role="img"></div>
<p id="result" role="status" aria-live="polite">準備しています…</p>
<p id="detail"></p>
<button id="again" type="button">次のお客さま</button>
<p class="mode"><a href="/counter/offline">通信できないときの確認（QRコードを読み取り合う）</a></p>
</main>
</body>
</html>
`;

/** `GET /counter/offline`: the counter with no network at the moment of the check. */
export const COUNTER_OFFLINE_HTML = `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>年齢の確認（通信なし） — 民間ID 対面確認</title>
<link rel="stylesheet" href="/counter/counter.css">
<script type="module" src="/wallet/counter-offline.js"></script>
</head>
<body>
<main>
<h1>年齢の確認（20歳以上）</h1>
<p id="kept" role="status">準備しています…</p>
<p id="ask">① お客さまに、民間IDのウォレットでこのコードを読み取ってもらってください。② お客さまの画面に出たコードを「読み取る」でこちらのカメラに見せてもらってください。</p>
<div id="qr" aria-label="確認用のQRコード" role="img"></div>
<video id="camera" muted playsinline hidden aria-label="カメラの映像"></video>
<p id="result" role="status" aria-live="polite">準備しています…</p>
<p id="detail"></p>
<button id="scan" type="button" hidden>お客さまのコードを読み取る</button>
<button id="again" type="button">次のお客さま</button>
<p class="mode"><a href="/counter">通信できるときの確認に戻る</a></p>
</main>
</body>
</html>
`;

/** `GET /counter/counter.css`. */
export const COUNTER_CSS = `
body { font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; margin: 0; background: #fff; color: #111; }
main { max-width: 40rem; margin: 0 auto; padding: 1.5rem; text-align: center; }
h1 { font-size: 2rem; }
#ask { font-size: 1.4rem; }
#qr svg { width: min(80vw, 22rem); height: auto; }
#result { font-size: 2.6rem; font-weight: bold; margin: 1rem 0; }
#result.ok { color: #0a6b2a; }
#result.ng { color: #a11; }
#detail { font-size: 1.1rem; color: #333; }
button { font-size: 1.4rem; padding: 0.6rem 1.4rem; margin: 0.4rem; min-height: 44px; }
#kept { font-size: 1.2rem; }
#kept.ng { color: #a11; }
#camera { width: min(80vw, 22rem); background: #000; }
.mode { margin-top: 2rem; font-size: 1.1rem; }
.mode a { display: inline-block; min-height: 44px; line-height: 44px; color: #0645ad; }
`;

/** `GET /counter/counter.js`: start a request, show its QR, poll for the answer. */
export const COUNTER_JS = `
const qr = document.getElementById('qr');
const result = document.getElementById('result');
const detail = document.getElementById('detail');
const ask = document.getElementById('ask');
let generation = 0;
async function start() {
  const mine = ++generation;
  result.className = '';
  result.textContent = '読み取りを待っています…';
  detail.textContent = '';
  ask.hidden = false;
  const res = await fetch('/api/counter/requests', { method: 'POST' });
  if (!res.ok) { result.textContent = '準備できませんでした。もう一度お試しください。'; return; }
  const req = await res.json();
  qr.innerHTML = req.svg;
  qr.dataset.uri = req.uri;
  while (mine === generation) {
    await new Promise((r) => setTimeout(r, 1500));
    if (mine !== generation) return;
    const p = await fetch('/api/counter/requests/' + encodeURIComponent(req.pollId));
    if (!p.ok) continue;
    const s = await p.json();
    if (s.status === 'pending') continue;
    qr.innerHTML = '';
    ask.hidden = true;
    if (s.status === 'expired') { result.textContent = '時間切れです。「次のお客さま」を押してください。'; return; }
    if (s.outcome === 'verified' && s.over20 === true) {
      result.className = 'ok';
      result.textContent = '20歳以上です ✓';
      const issued = new Date(s.issuedAt).toLocaleDateString('ja-JP');
      detail.textContent = '発行元 ' + s.issuer + '（署名を確認）・発行日 ' + issued + '・失効していないことを確認済み';
    } else if (s.outcome === 'verified') {
      result.className = 'ng';
      result.textContent = '20歳以上ではありません';
      detail.textContent = '発行元 ' + s.issuer + '（署名を確認）';
    } else {
      result.className = 'ng';
      result.textContent = '確認できませんでした';
      detail.textContent = s.reason === 'presentation_credential_revoked'
        ? 'この証明書は失効しています。'
        : '証明書を確認できませんでした。';
    }
    return;
  }
}
document.getElementById('again').addEventListener('click', () => { void start(); });
void start();
`;
