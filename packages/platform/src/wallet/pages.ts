/**
 * The wallet pages as static HTML (issue 3: "minimal pages … usable by a person"). Japanese first,
 * English in small print (`<span class="en" lang="en">`). Plain, accessible HTML: one `<h1>` per
 * page, labelled controls with hints tied by `aria-describedby`, a polite status region and an
 * alert region for errors, a skip link, `aria-current` in the navigation. No inline script or
 * style: the pages run under the server's CSP (`script-src 'self'`, `style-src 'self'`); the one
 * script (`/wallet/app.js`, a module, so deferred) reads `data-page` and fills the page.
 */
import { CLAIMS, type WatashiClaim } from '../oidc/claims.ts';
import { VERIFIED_CLAIMS } from '../oidc/verified-claims.ts';

/** The pages, by id (the value of `<body data-page>`). */
export type WalletPageId =
  'home' | 'enrol' | 'login' | 'passkeys' | 'personas' | 'consents' | 'disclosures' | 'account';

/** What a page needs from the configuration. */
export interface WalletPageOptions {
  /** Base URL of the hosted cards (the simulator) for the enrolment page; absent: no card reader. */
  readonly hostedCardsUrl?: string | undefined;
}

/** HTML-escapes text for element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** Japanese text followed by its English in small print. Both arguments are trusted literals. */
const bi = (ja: string, en: string): string => `${ja} <span class="en" lang="en">${en}</span>`;

const NAV: ReadonlyArray<{ id: WalletPageId; href: string; ja: string; en: string }> = [
  { id: 'enrol', href: '/wallet/enrol', ja: '本人確認', en: 'Enrol' },
  { id: 'login', href: '/wallet/login', ja: 'サインイン', en: 'Sign in' },
  { id: 'passkeys', href: '/wallet/passkeys', ja: 'パスキー', en: 'Passkeys' },
  { id: 'personas', href: '/wallet/personas', ja: 'ペルソナ', en: 'Personas' },
  { id: 'consents', href: '/wallet/consents', ja: '同意', en: 'Consents' },
  { id: 'disclosures', href: '/wallet/disclosures', ja: '提供履歴', en: 'Disclosures' },
  { id: 'account', href: '/wallet/account', ja: 'アカウント', en: 'Account' },
];

const TITLES: Readonly<Record<WalletPageId, [string, string]>> = {
  home: ['Watashi ウォレット', 'Watashi wallet'],
  enrol: ['マイナンバーカードで本人確認', 'Verify your identity with your My Number card'],
  login: ['サインイン', 'Sign in'],
  passkeys: ['パスキー', 'Passkeys'],
  personas: ['ペルソナ', 'Personas'],
  consents: ['情報提供への同意', 'Your consents'],
  disclosures: ['情報の提供履歴', 'What services received'],
  account: ['アカウント', 'Your account'],
};

/** The status and error regions every interactive page has. */
const REGIONS = `<p id="status" class="status" role="status" aria-live="polite"></p>
<div id="error" class="error" role="alert" hidden></div>`;

const SIGNED_OUT = `<div id="signed-out" class="notice" hidden>
<p>${bi('サインインしていません。', 'You are not signed in.')}</p>
<p><a href="/wallet/login">${bi('パスキーでサインイン', 'Sign in with a passkey')}</a> ・ <a href="/wallet/enrol">${bi('マイナンバーカードで本人確認', 'Enrol with your My Number card')}</a></p>
</div>`;

function home(): string {
  return `<p>${bi(
    'マイナンバーカードで一度だけ本人確認をすると、民間IDが発行されます。以後はパスキーでサインインできます。',
    'Prove who you are once with your My Number card to get a private ID; after that, sign in with a passkey.',
  )}</p>
<ul class="actions">
<li><a class="button" href="/wallet/enrol">${bi('はじめての方: マイナンバーカードで本人確認', 'New here: verify your identity with your My Number card')}</a></li>
<li><a class="button" href="/wallet/login">${bi('登録済みの方: パスキーでサインイン', 'Registered: sign in with a passkey')}</a></li>
<li><a href="/wallet/account">${bi('アカウントを見る', 'See your account')}</a></li>
</ul>
<p><a href="/assurance">${bi('保証レベルの対応表', 'Assurance levels')}</a></p>`;
}

function enrol(o: WalletPageOptions): string {
  const reader =
    o.hostedCardsUrl === undefined
      ? `<div id="no-reader" class="notice"><p>${bi(
          'このサーバーにはカードリーダーが構成されていません（J-LIS シミュレーターの hosted cards を使う設定 wallet.hostedCardsUrl が必要です）。',
          'No card reader is configured on this server (wallet.hostedCardsUrl: the hosted cards of the J-LIS simulator).',
        )}</p></div>`
      : `<form id="enrol-form" novalidate>
<h2>${bi('カードで署名', 'Sign with your card')}</h2>
<p class="hint">${bi(
          'カードは J-LIS シミュレーターの仮想カード（開発・試験用）です。',
          'The cards are virtual cards hosted by the J-LIS simulator (development and test only):',
        )} <code>${escapeHtml(o.hostedCardsUrl)}</code></p>
<div class="field">
<label for="card-id">${bi('カードID', 'Card ID')}</label>
<input id="card-id" name="card" list="card-list" autocomplete="off" autocapitalize="off" spellcheck="false" required aria-describedby="card-id-hint pin-tries">
<datalist id="card-list"></datalist>
<p id="card-id-hint" class="hint">${bi('カードIDを入力するか、一覧から選んでください。', 'Type the card ID or pick one from the list.')}</p>
<p id="pin-tries" class="hint" aria-live="polite"></p>
</div>
<div class="field">
<label for="sign-pin">${bi('署名用電子証明書のパスワード', 'Signing password')}</label>
<input id="sign-pin" name="pin" type="password" autocomplete="off" autocapitalize="characters" spellcheck="false" minlength="6" maxlength="16" required aria-describedby="sign-pin-hint">
<p id="sign-pin-hint" class="hint">${bi('英数字6〜16文字。5回続けて間違えるとロックされます。', '6–16 letters and digits. The card locks after 5 wrong tries.')}</p>
</div>
<div class="field">
<label for="consent-latest"><input id="consent-latest" name="consent" type="checkbox" aria-describedby="consent-hint"> ${bi(
          '住所・氏名などが変わったとき、J-LIS から最新の基本4情報の提供を受けることに同意する（任意）',
          'When my address or name changes, let J-LIS provide my latest basic 4 information to Watashi (optional)',
        )}</label>
<p id="consent-hint" class="hint">${bi(
          '同意すると、同じパスワードで下の同意書にも署名します。同意は J-LIS に登録され、10年間有効です。同意しない場合、カードの証明書が失効したときはカードでもう一度本人確認をしていただきます。',
          'If you agree, the same password also signs the consent below; J-LIS registers it for 10 years. Without it, when your card certificate is revoked you prove who you are with the card again.',
        )}</p>
<pre id="consent-document" class="document" hidden></pre>
</div>
<button id="enrol-submit" type="submit">${bi('上の文書に同意して署名する', 'Agree to the document above and sign')}</button>
</form>`;
  return `<p>${bi(
    'マイナンバーカードの署名用電子証明書で下の文書に電子署名すると、本人確認が行われ、民間IDが発行されます。個人番号（マイナンバー）は読み取りません。',
    'Sign the document below with the signing certificate of your My Number card to verify your identity and get a private ID. Your 12-digit individual number is never read.',
  )}</p>
<section id="document-section" aria-labelledby="document-heading">
<h2 id="document-heading">${bi('署名する文書', 'The document you sign')}</h2>
<div id="document" class="document" tabindex="0" aria-busy="true"><p>${bi('読み込み中…', 'Loading…')}</p></div>
</section>
${reader}
${REGIONS}
<section id="done" class="done" hidden aria-labelledby="done-heading">
<h2 id="done-heading" tabindex="-1">${bi('本人確認が完了しました', 'Your identity is verified')}</h2>
<p id="done-detail"></p>
<p>${bi('次に、このブラウザにパスキーを登録すると、以後はカードなしでサインインできます。', 'Next, register a passkey in this browser to sign in without the card from now on.')}</p>
<p><button id="register-passkey" type="button">${bi('パスキーを登録する', 'Register a passkey')}</button></p>
<p id="continue" hidden><a id="to-service" class="button" href="/wallet/account">${bi('サービスに戻る', 'Continue to the service')}</a></p>
<p><a id="to-account" href="/wallet/account">${bi('アカウントを見る', 'See your account')}</a></p>
</section>`;
}

function login(): string {
  return `<div id="service-request" class="notice" hidden></div>
<p>${bi('登録したパスキーでサインインします。', 'Sign in with a passkey you registered.')}</p>
<p><button id="login-passkey" type="button">${bi('パスキーでサインイン', 'Sign in with a passkey')}</button></p>
${REGIONS}
<p>${bi('まだ登録していない方:', 'Not registered yet?')} <a id="to-enrol" href="/wallet/enrol">${bi('マイナンバーカードで本人確認', 'Enrol with your My Number card')}</a></p>`;
}

function passkeys(): string {
  return `${SIGNED_OUT}
<section id="passkeys" hidden aria-labelledby="list-heading">
<h2 id="list-heading">${bi('登録済みの認証器', 'Your authenticators')}</h2>
<p id="no-authenticators" hidden>${bi('まだありません。', 'None yet.')}</p>
<ul id="authenticator-list" class="items"></ul>
<form id="passkey-form">
<h2>${bi('パスキーを追加', 'Add a passkey')}</h2>
<div class="field">
<label for="passkey-label">${bi('名前（任意）', 'Name (optional)')}</label>
<input id="passkey-label" name="label" maxlength="64" autocomplete="off" aria-describedby="passkey-label-hint">
<p id="passkey-label-hint" class="hint">${bi('例: 自宅のノートPC', 'For example: home laptop')}</p>
</div>
<button id="passkey-register" type="submit">${bi('パスキーを登録する', 'Register a passkey')}</button>
</form>
</section>
${REGIONS}`;
}

function account(): string {
  return `${SIGNED_OUT}
<section id="account" hidden>
<h2>${bi('お知らせ', 'Notices')}</h2>
<ul id="notices" class="items"></ul>
<h2>${bi('身元確認', 'Identity proofing')}</h2>
<p id="ial" class="level"></p>
<ul id="ial-reasons" class="reasons"></ul>
<dl id="account-facts" class="facts"></dl>
<h2>${bi('確認済みの情報（基本4情報）', 'Verified attributes (basic 4 information)')}</h2>
<p class="hint">${bi('マイナンバーカードの署名用電子証明書から読み取った情報です。あなたにだけ表示され、連携先にはあなたが同意した項目だけが渡ります。', 'Read from the signing certificate of your My Number card. Shown only to you; relying parties receive only what you consent to.')}</p>
<dl id="attributes" class="facts"></dl>
<h2>${bi('このサインイン', 'This sign-in')}</h2>
<dl id="session-facts" class="facts"></dl>
<h2>${bi('認証器', 'Authenticators')}</h2>
<ul id="authenticators" class="items"></ul>
<p><a href="/wallet/passkeys">${bi('パスキーを管理する', 'Manage passkeys')}</a></p>
<h2>${bi('連携サービスへの情報提供', 'Sharing with services')}</h2>
<ul id="sharing-links">
<li><a href="/wallet/personas">${bi('ペルソナ（提供してよい情報の組み合わせ）を管理する', 'Manage personas (sets of information you are willing to share)')}</a></li>
<li><a href="/wallet/consents">${bi('同意しているサービスを見る・同意を取り消す', 'See and withdraw your consents to services')}</a></li>
<li><a href="/wallet/disclosures">${bi('どのサービスに何を提供したかを見る', 'See what each service received')}</a></li>
</ul>
<p><button id="logout" type="button">${bi('サインアウト', 'Sign out')}</button></p>
<h2 id="close-heading">${bi('アカウントの閉鎖', 'Close your account')}</h2>
<p class="hint">${bi('このプライベートIDの利用をやめ、基本4情報・ペルソナ・カードの証明書の記録を消去します。連携サービスには通知が送られ、サインインや情報の再取得はできなくなります。元に戻せません（同じカードで改めて本人確認することはできます）。閉鎖には、5分以内にサインインし直している必要があります。', 'Stop using this private ID and erase your basic 4 information, personas and card certificate records. Services you use are told, and can no longer sign you in or fetch your information. This cannot be undone (you can enrol again with your card). You must have signed in within the last 5 minutes.')}</p>
<p><button id="close-account" type="button" aria-describedby="close-heading">${bi('アカウントを閉鎖する', 'Close my account')}</button></p>
<p id="close-reauth" hidden><a href="/wallet/login">${bi('サインインし直す', 'Sign in again')}</a></p>
</section>
${REGIONS}`;
}

/** Derived claims, the persona form's second group (the first: VERIFIED_CLAIMS, read from the card). */
const DERIVED_CLAIMS: readonly WatashiClaim[] = ['over_18', 'over_20', 'age_bracket', 'resident_of'];

function claimBox(c: WatashiClaim): string {
  return `<div class="check"><label for="claim-${c}"><input id="claim-${c}" name="claims" type="checkbox" value="${c}"> ${bi(escapeHtml(CLAIMS[c].ja), escapeHtml(CLAIMS[c].en))} <code class="hint">${c}</code></label></div>`;
}

function personas(): string {
  return `${SIGNED_OUT}
<section id="personas" hidden aria-labelledby="list-heading">
<p>${bi(
    'ペルソナは、サービスに提供してよい情報の組み合わせです。同意画面でペルソナを選ぶと、サービスが求めた情報のうち、そのペルソナに含まれるものだけが提供されます。',
    'A persona is a set of information you are willing to share. When you pick one on a consent screen, a service receives only what it asked for and the persona holds.',
  )}</p>
<h2 id="list-heading">${bi('あなたのペルソナ', 'Your personas')}</h2>
<p id="no-personas" hidden>${bi('まだありません。', 'None yet.')}</p>
<ul id="persona-list" class="items"></ul>
<p id="persona-count" class="hint"></p>
<form id="persona-form" novalidate aria-labelledby="persona-form-heading">
<h2 id="persona-form-heading" tabindex="-1">${bi('ペルソナを作成', 'Create a persona')}</h2>
<div class="field">
<label for="persona-name">${bi('名前', 'Name')}</label>
<input id="persona-name" name="name" maxlength="40" autocomplete="off" required aria-describedby="persona-name-hint">
<p id="persona-name-hint" class="hint">${bi('40文字まで。例: お酒を買うとき', 'Up to 40 characters. For example: buying alcohol')}</p>
</div>
<fieldset id="persona-claims" class="field" aria-describedby="persona-claims-hint">
<legend>${bi('提供してよい情報（1つ以上）', 'Information you are willing to share (at least one)')}</legend>
<p id="persona-claims-hint" class="hint">${bi(
    '導き出した情報は、生年月日や住所そのものを伝えずに、年齢や居住地だけを伝えます。',
    'Derived claims tell only your age or where you live, never the date of birth or the address itself.',
  )}</p>
<h3>${bi('確認済みの情報（基本4情報）', 'Verified attributes (basic 4 information)')}</h3>
${VERIFIED_CLAIMS.map(claimBox).join('\n')}
<h3>${bi('導き出した情報', 'Derived claims')}</h3>
${DERIVED_CLAIMS.map(claimBox).join('\n')}
</fieldset>
<fieldset id="persona-residence" class="field" aria-describedby="persona-residence-hint">
<legend>${bi('居住地の詳しさ', 'How precisely to tell where you live')}</legend>
<p id="persona-residence-hint" class="hint">${bi('「' + CLAIMS.resident_of.ja + '」を選んだときだけ使います。', 'Used only with “' + CLAIMS.resident_of.en + '”.')}</p>
<div class="check"><label for="residence-prefecture"><input id="residence-prefecture" name="residence" type="radio" value="prefecture" checked> ${bi('都道府県まで', 'Prefecture only')}</label></div>
<div class="check"><label for="residence-municipality"><input id="residence-municipality" name="residence" type="radio" value="municipality"> ${bi('市区町村まで', 'Prefecture and municipality')}</label></div>
</fieldset>
<p class="buttons"><button id="persona-submit" type="submit">${bi('作成する', 'Create')}</button>
<button id="persona-cancel" type="button" class="secondary" hidden>${bi('編集をやめる', 'Cancel editing')}</button></p>
</form>
<p class="hint">${bi(
    'ペルソナを変更・削除しても、すでに同意した内容は変わりません。変えるには同意を取り消してください。',
    'Changing or deleting a persona does not change consents already given; withdraw them to change those.',
  )} <a href="/wallet/consents">${bi('同意を見る', 'See your consents')}</a></p>
</section>
${REGIONS}`;
}

function consents(): string {
  return `${SIGNED_OUT}
<section id="consents" hidden aria-labelledby="list-heading">
<p>${bi(
    '次のサービスが、あなたの同意に基づいて情報を受け取れます。同意を取り消すと、そのサービスはあなたの情報を再取得できなくなり、次に利用するときに改めて同意を求められます（すでに提供した情報は取り消されません）。',
    'These services may receive your information because you agreed. Withdrawing stops a service from fetching it again, and it will ask for your consent next time (what it already received is not recalled).',
  )}</p>
<h2 id="list-heading" tabindex="-1">${bi('同意しているサービス', 'Services you have consented to')}</h2>
<p id="no-consents" hidden>${bi('同意しているサービスはありません。', 'You have not consented to any service.')}</p>
<ul id="consent-list" class="items"></ul>
<p><a href="/wallet/disclosures">${bi('提供履歴を見る', 'See what services received')}</a></p>
</section>
${REGIONS}`;
}

function disclosures(): string {
  return `${SIGNED_OUT}
<section id="disclosures" hidden aria-labelledby="list-heading">
<h2 id="list-heading">${bi('提供した情報（新しい順）', 'Information released (newest first)')}</h2>
<p class="hint">${bi(
    'サービスがIDトークンまたはUserInfoで受け取った情報の項目です。値そのものは記録していません。',
    'The items services received in an ID token or from UserInfo. The values themselves are not recorded.',
  )}</p>
<p id="no-disclosures" hidden>${bi('まだ提供した情報はありません。', 'Nothing has been released yet.')}</p>
<table id="disclosure-table" class="records" hidden>
<caption class="hint">${bi('提供履歴', 'Disclosure history')}</caption>
<thead><tr><th scope="col">${bi('日時', 'When')}</th><th scope="col">${bi('提供先', 'Service')}</th><th scope="col">${bi('提供した情報', 'Information')}</th><th scope="col">${bi('経路', 'Via')}</th></tr></thead>
<tbody id="disclosure-rows"></tbody>
</table>
<p><button id="disclosures-more" type="button" class="secondary" hidden>${bi('さらに表示', 'Show older')}</button></p>
</section>
${REGIONS}`;
}

/** The complete HTML of a page. */
export function walletPage(id: WalletPageId, o: WalletPageOptions = {}): string {
  const [ja, en] = TITLES[id];
  const body = {
    home,
    enrol: () => enrol(o),
    login,
    passkeys,
    personas,
    consents,
    disclosures,
    account,
  }[id]();
  const data =
    id === 'enrol' && o.hostedCardsUrl !== undefined
      ? ` data-hosted-cards-url="${escapeHtml(o.hostedCardsUrl)}"`
      : '';
  const nav = NAV.map(
    (n) => `<li><a href="${n.href}"${n.id === id ? ' aria-current="page"' : ''}>${bi(n.ja, n.en)}</a></li>`,
  ).join('\n');
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${ja} — Watashi</title>
<link rel="stylesheet" href="/wallet/wallet.css">
<script type="module" src="/wallet/app.js"></script>
</head>
<body data-page="${id}"${data}>
<a class="skip" href="#main">${bi('本文へ移動', 'Skip to content')}</a>
<header>
<p class="brand"><a href="/">Watashi</a></p>
<nav aria-label="ウォレット Wallet">
<ul>
${nav}
</ul>
</nav>
</header>
<main id="main">
<h1>${bi(ja, en)}</h1>
<noscript><p class="error">${bi('このページには JavaScript が必要です。', 'This page needs JavaScript.')}</p></noscript>
${body}
</main>
<footer>
<p>${bi('Watashi — JPKI を基にした民間ID。', 'Watashi — a private ID anchored on JPKI.')} <a href="/assurance">${bi('保証レベル', 'Assurance levels')}</a></p>
</footer>
</body>
</html>
`;
}
