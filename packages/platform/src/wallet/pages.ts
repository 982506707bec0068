/**
 * The wallet pages as static HTML (issue 3: "minimal pages … usable by a person"). Japanese first,
 * English in small print (`<span class="en" lang="en">`). Plain, accessible HTML: one `<h1>` per
 * page, labelled controls with hints tied by `aria-describedby`, a polite status region and an
 * alert region for errors, a skip link, `aria-current` in the navigation. No inline script or
 * style: the pages run under the server's CSP (`script-src 'self'`, `style-src 'self'`); the one
 * script (`/wallet/app.js`, a module, so deferred) reads `data-page` and fills the page.
 */

/** The pages, by id (the value of `<body data-page>`). */
export type WalletPageId = 'home' | 'enrol' | 'login' | 'passkeys' | 'account';

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
  { id: 'account', href: '/wallet/account', ja: 'アカウント', en: 'Account' },
];

const TITLES: Readonly<Record<WalletPageId, [string, string]>> = {
  home: ['Watashi ウォレット', 'Watashi wallet'],
  enrol: ['マイナンバーカードで本人確認', 'Verify your identity with your My Number card'],
  login: ['サインイン', 'Sign in'],
  passkeys: ['パスキー', 'Passkeys'],
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
<p><button id="logout" type="button">${bi('サインアウト', 'Sign out')}</button></p>
</section>
${REGIONS}`;
}

/** The complete HTML of a page. */
export function walletPage(id: WalletPageId, o: WalletPageOptions = {}): string {
  const [ja, en] = TITLES[id];
  const body =
    id === 'home'
      ? home()
      : id === 'enrol'
        ? enrol(o)
        : id === 'login'
          ? login()
          : id === 'passkeys'
            ? passkeys()
            : account();
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
