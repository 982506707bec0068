/**
 * The counter page with no network (`/counter/offline`, docs/credentials.md §4.1), built with the
 * wallet as `/wallet/counter-offline.js` and served by the platform's page
 * (packages/platform/src/credentials/counter-page.ts).
 *
 * While online it keeps the issuer's public keys (`/.well-known/jwt-vc-issuer`) and the status list
 * (`/credentials/status/1`) in localStorage with the time they were fetched, refreshed every minute
 * (the list's `ttl`), and shows that time: 「状態の確認: 〇時〇分時点」. At the check it needs no
 * network: it shows the request as a QR, reads the wallet's presentation QR with its own camera
 * (jsQR) and verifies it here (verify.ts). It shows only the answer to the question asked.
 */
import jsQR from 'jsqr';
import { qrPath } from '../lib/qr.ts';
import {
  KEPT_MAX_AGE_SECONDS,
  offlineRequest,
  OfflineCounter,
  verifyStatusList,
  type IssuerJwk,
  type KeptMaterial,
  type OfflineRefusal,
} from './verify.ts';

const STORAGE_KEY = 'watashi-counter-kept';
const REFRESH_MS = 60_000;

const $ = (id: string): HTMLElement => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the counter page has no #${id}`);
  return el;
};
const keptLine = $('kept');
const ask = $('ask');
const qr = $('qr');
const result = $('result');
const detail = $('detail');
const scan = $('scan') as HTMLButtonElement;
const again = $('again') as HTMLButtonElement;
const video = $('camera') as HTMLVideoElement;

const counter = new OfflineCounter();
let kept: KeptMaterial | undefined = readKept();

function readKept(): KeptMaterial | undefined {
  try {
    const v = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as KeptMaterial | null;
    return v !== null && typeof v.issuer === 'string' && typeof v.fetchedAt === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** 「12時05分」, with the date when it is not today. */
function clock(ms: number): string {
  const d = new Date(ms);
  const hm = `${d.getHours()}時${String(d.getMinutes()).padStart(2, '0')}分`;
  return d.toDateString() === new Date().toDateString() ? hm : `${d.getMonth() + 1}月${d.getDate()}日 ${hm}`;
}

function showKept(): void {
  if (kept === undefined) {
    keptLine.textContent = '確認に使う情報がまだありません。通信できるときに、この画面を開いてください。';
    keptLine.className = 'ng';
    return;
  }
  const old = Date.now() - kept.fetchedAt > KEPT_MAX_AGE_SECONDS * 1000;
  keptLine.textContent = `状態の確認: ${clock(kept.fetchedAt)}時点${
    old ? '（古すぎるため確認できません。通信できるときに開き直してください）' : ''
  }`;
  keptLine.className = old ? 'ng' : '';
}

/** Fetches the keys and the status list; keeps them only when the list verifies with those keys. */
async function refresh(): Promise<void> {
  try {
    const meta = (await (await fetch('/.well-known/jwt-vc-issuer', { cache: 'no-store' })).json()) as {
      issuer?: unknown;
      jwks?: { keys?: IssuerJwk[] };
    };
    const res = await fetch('/credentials/status/1', { cache: 'no-store' });
    const statusList = await res.text();
    const keys = meta.jwks?.keys;
    if (!res.ok || typeof meta.issuer !== 'string' || !Array.isArray(keys)) return;
    const fetchedAt = Date.now();
    await verifyStatusList(statusList, keys, meta.issuer, new Date(fetchedAt));
    kept = { issuer: meta.issuer, keys, statusList, fetchedAt };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(kept));
  } catch {
    // No network (the point of this page) or a bad answer: keep what was kept.
  } finally {
    showKept();
  }
}

function drawQr(text: string): void {
  const { size, d } = qrPath(text);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  const bg = document.createElementNS(ns, 'rect');
  bg.setAttribute('width', String(size));
  bg.setAttribute('height', String(size));
  bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  qr.replaceChildren(svg);
  qr.dataset.uri = text;
}

/** The plain words for a refusal (never a code). */
const REFUSALS: Record<OfflineRefusal, string> = {
  counter_offline_not_ready: '確認に使う情報がありません。通信できるときに、この画面を開いてください。',
  counter_offline_stale: '確認に使う情報が古すぎます。通信できるときに、この画面を開き直してください。',
  presentation_replayed: 'このコードはもう使われています。',
  presentation_invalid: '証明書を確認できませんでした。',
  presentation_credential_revoked: 'この証明書は失効しています。',
  presentation_claims_missing: '年齢の確認に必要な情報がありませんでした。',
};

let stopCamera: (() => void) | undefined;

function start(): void {
  stopCamera?.();
  if (kept === undefined) {
    qr.replaceChildren();
    result.className = 'ng';
    result.textContent = REFUSALS.counter_offline_not_ready;
    return;
  }
  drawQr(offlineRequest(kept.issuer, counter.next()));
  result.className = '';
  result.textContent = 'お客さまのコードを待っています…';
  detail.textContent = '';
  ask.hidden = false;
  scan.hidden = false;
}

async function answer(presentation: string): Promise<void> {
  qr.replaceChildren();
  ask.hidden = true;
  scan.hidden = true;
  try {
    const r = await counter.check(presentation, kept, new Date());
    if (r.over20) {
      result.className = 'ok';
      result.textContent = '20歳以上です ✓';
      detail.textContent = `発行元 ${r.issuer}（署名を確認）・発行日 ${new Date(
        r.issuedAt,
      ).toLocaleDateString('ja-JP')}・${clock(kept?.fetchedAt ?? 0)}時点で失効していないことを確認`;
    } else {
      result.className = 'ng';
      result.textContent = '20歳以上ではありません';
      detail.textContent = `発行元 ${r.issuer}（署名を確認）`;
    }
  } catch (e) {
    result.className = 'ng';
    result.textContent = '確認できませんでした';
    detail.textContent = REFUSALS[(e as { code?: OfflineRefusal }).code ?? 'presentation_invalid'];
  }
}

/** The camera: frames drawn to a canvas and read by jsQR until an SD-JWT presentation shows. */
function startCamera(): void {
  let stopped = false;
  let stream: MediaStream | undefined;
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  stopCamera = () => {
    stopped = true;
    stream?.getTracks().forEach((t) => t.stop());
    video.hidden = true;
    stopCamera = undefined;
  };
  const tick = (): void => {
    if (stopped) return;
    if (ctx !== null && video.videoWidth > 0) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      ctx.drawImage(video, 0, 0);
      const code = jsQR(
        ctx.getImageData(0, 0, canvas.width, canvas.height).data,
        canvas.width,
        canvas.height,
      );
      // A presentation is `<JWT>~…~<KB-JWT>`; the counter's own request QR is ignored.
      if (code !== null && /^ey[\w-]+\.[\w-]+\.[\w-]+~/.test(code.data)) {
        stopCamera?.();
        void answer(code.data);
        return;
      }
    }
    setTimeout(tick, 200);
  };
  video.hidden = false;
  result.className = '';
  result.textContent = 'お客さまの画面のコードにカメラを向けてください。';
  navigator.mediaDevices
    .getUserMedia({ video: { facingMode: 'environment' }, audio: false })
    .then(async (s) => {
      stream = s;
      if (stopped) return stopCamera?.();
      video.srcObject = s;
      await video.play();
      tick();
    })
    .catch(() => {
      stopCamera?.();
      result.className = 'ng';
      result.textContent = 'カメラを使えませんでした。カメラの利用を許可してください。';
    });
}

scan.addEventListener('click', startCamera);
again.addEventListener('click', start);
showKept();
start();
void refresh().then(() => {
  if (counter.nonce === undefined || qr.childElementCount === 0) start();
});
setInterval(() => void refresh(), REFRESH_MS);
