import { defineMessages } from '../../i18n/index.ts';

export const messages = defineMessages(
  'cross-device',
  {
    title: 'パソコンでサインイン',
    intro:
      'パソコンのサインイン画面に出ている「スマートフォンでサインイン」のQRコードを読み取ると、このスマートフォンでサインインを承認できます。',
    scan: 'QRコードを読み取る',
    scanning: 'パソコンに表示されたQRコードを、カメラに写してください。',
    camera: 'カメラの映像',
    stopScan: '読み取りをやめる',
    requestTitle: '「{{rp}}」へのサインイン',
    rp: 'サインインするサービス',
    purpose: '利用目的',
    network: '始めた場所（ネットワーク）',
    sameNetwork: 'このスマートフォンと同じネットワーク',
    otherNetwork: 'このスマートフォンとは別のネットワーク',
    unknownNetwork: 'わかりません',
    device: 'パソコンのブラウザ',
    startedAt: '始めた時刻',
    noPlace:
      'わかるのはネットワークとブラウザの種類だけで、住所や地域はわかりません。自分のパソコンで、いま始めたものか確かめてください。',
    otherNetworkWarning:
      'このサインインは、このスマートフォンとは別のネットワークから始められています。自宅や職場のパソコンで自分が始めたものでなければ、「サインインしない」を押してください。',
    pick: 'パソコンに表示されている番号を選んでください',
    pickHint:
      '番号を間違えると、安全のためこのサインインは止まります。パソコンに番号が見えないときは「サインインしない」を押してください。',
    deny: 'サインインしない',
    approved: 'サインインを承認しました',
    approvedNext: 'パソコンの画面で、サインインが続きます。',
    denied: 'サインインを止めました',
    deniedNext: 'パソコンの画面には「サインインしない」が選ばれたと表示されます。',
    noKey:
      'このスマートフォンには、承認に使う端末の証明書がありません。「端末」のページで証明書を発行してください。',
    toDevices: '端末のページへ',
    unknownBrowser: 'わからないブラウザ',
    unknownSystem: 'わからないOS',
    err_camera: 'カメラを使えませんでした。カメラの使用を許可してから、もう一度お試しください。',
    err_xdevice_not_found:
      'このQRコードのサインインは見つかりません。パソコンでQRコードを表示し直してください。',
    err_xdevice_expired:
      '2分がたったため、このQRコードは使えなくなりました。パソコンでもう一度表示してください。',
    err_xdevice_used: 'このサインインには、もう答えています。',
    err_xdevice_closed: 'このサインインは、もう止められています。パソコンでQRコードを表示し直してください。',
    err_xdevice_number_mismatch:
      'パソコンの番号と違いました。安全のため、このサインインは止めました。自分で始めたものなら、パソコンでQRコードを表示し直してください。',
    err_xdevice_device_unusable:
      'このスマートフォンの証明書は使えません（失効しているか、まだ有効になっていません）。「端末」のページを確かめてください。',
    err_xdevice_signature_invalid: '承認の署名を確かめられませんでした。もう一度お試しください。',
  },
  {
    title: 'Sign in on a computer',
    intro:
      'Scan the “Sign in with your smartphone” QR code on a computer’s sign-in page to approve that sign-in with this smartphone.',
    scan: 'Scan the QR code',
    scanning: 'Point the camera at the QR code on the computer.',
    camera: 'Camera view',
    stopScan: 'Stop scanning',
    requestTitle: 'Signing in to “{{rp}}”',
    rp: 'Service',
    purpose: 'Purpose',
    network: 'Started from (network)',
    sameNetwork: 'the same network as this smartphone',
    otherNetwork: 'a different network from this smartphone',
    unknownNetwork: 'unknown',
    device: 'Browser on the computer',
    startedAt: 'Started at',
    noPlace:
      'Only the network and the kind of browser are known, not an address or a region. Check that you started this on your own computer just now.',
    otherNetworkWarning:
      'This sign-in was started from a different network than this smartphone’s. If you did not start it yourself at home or at work, choose “Do not sign in”.',
    pick: 'Pick the number shown on the computer',
    pickHint:
      'A wrong number stops this sign-in for your safety. If you see no number on the computer, choose “Do not sign in”.',
    deny: 'Do not sign in',
    approved: 'Sign-in approved',
    approvedNext: 'The sign-in continues on the computer’s screen.',
    denied: 'Sign-in stopped',
    deniedNext: 'The computer shows that “Do not sign in” was chosen.',
    noKey: 'This smartphone has no device certificate to approve with. Issue one on the Devices page.',
    toDevices: 'Go to Devices',
    unknownBrowser: 'unknown browser',
    unknownSystem: 'unknown system',
    err_camera: 'The camera could not be used. Allow the camera, then try again.',
    err_xdevice_not_found: 'This QR code’s sign-in was not found. Show a new QR code on the computer.',
    err_xdevice_expired:
      'Two minutes have passed and this QR code no longer works. Show a new one on the computer.',
    err_xdevice_used: 'This sign-in has already been answered.',
    err_xdevice_closed: 'This sign-in has already been stopped. Show a new QR code on the computer.',
    err_xdevice_number_mismatch:
      'That was not the computer’s number. For your safety this sign-in was stopped. If you started it, show a new QR code on the computer.',
    err_xdevice_device_unusable:
      'This smartphone’s certificate cannot be used (revoked or not yet turned on). Check the Devices page.',
    err_xdevice_signature_invalid: 'The approval’s signature could not be confirmed. Please try again.',
  },
  {
    title: 'パソコンで サインイン',
    intro:
      'パソコンの サインイン 画面に 出て いる「スマホで サインイン」の QRコードを よみとると、この スマホで サインインを みとめる ことが できます。',
    scan: 'QRコードを よみとる',
    scanning: 'パソコンに 出て いる QRコードを カメラに うつして ください。',
    camera: 'カメラの えいぞう',
    stopScan: 'よみとりを やめる',
    requestTitle: '「{{rp}}」への サインイン',
    rp: 'サインイン する サービス',
    purpose: 'つかう りゆう',
    network: 'はじめた ばしょ（ネットワーク）',
    sameNetwork: 'この スマホと おなじ ネットワーク',
    otherNetwork: 'この スマホとは ちがう ネットワーク',
    unknownNetwork: 'わからない',
    device: 'パソコンの ブラウザ',
    startedAt: 'はじめた じこく',
    noPlace:
      'わかるのは ネットワークと ブラウザの しゅるい だけで、じゅうしょや ちいきは わかりません。じぶんの パソコンで いま はじめたか たしかめて ください。',
    otherNetworkWarning:
      'この サインインは、この スマホとは ちがう ネットワークから はじめられて います。いえや しごとばの パソコンで じぶんが はじめた ものでなければ、「サインイン しない」を おして ください。',
    pick: 'パソコンに 出て いる ばんごうを えらんで ください',
    pickHint:
      'ばんごうを まちがえると、あんぜんの ために この サインインは とまります。パソコンに ばんごうが 見えない ときは「サインイン しない」を おして ください。',
    deny: 'サインイン しない',
    approved: 'サインインを みとめました',
    approvedNext: 'パソコンの 画面で サインインが つづきます。',
    denied: 'サインインを とめました',
    deniedNext: 'パソコンの 画面に「サインイン しない」が えらばれたと 出ます。',
    noKey:
      'この スマホには、みとめる ときに つかう たんまつの しょうめいしょが ありません。「たんまつ」の ページで しょうめいしょを 出して ください。',
    toDevices: 'たんまつの ページへ',
    unknownBrowser: 'わからない ブラウザ',
    unknownSystem: 'わからない OS',
    err_camera:
      'カメラを つかえませんでした。カメラを つかって いいと してから、もう一度 ためして ください。',
    err_xdevice_not_found:
      'この QRコードの サインインは 見つかりません。パソコンで QRコードを 出しなおして ください。',
    err_xdevice_expired:
      '2分 たったので、この QRコードは つかえません。パソコンで もう一度 出して ください。',
    err_xdevice_used: 'この サインインには、もう こたえて います。',
    err_xdevice_closed:
      'この サインインは、もう とまって います。パソコンで QRコードを 出しなおして ください。',
    err_xdevice_number_mismatch:
      'パソコンの ばんごうと ちがいました。あんぜんの ために、この サインインは とめました。じぶんで はじめたなら、パソコンで QRコードを 出しなおして ください。',
    err_xdevice_device_unusable:
      'この スマホの しょうめいしょは つかえません（つかえなく なったか、まだ つかえる ように なって いません）。「たんまつ」の ページを たしかめて ください。',
    err_xdevice_signature_invalid:
      'みとめる しょめいを たしかめられませんでした。もう一度 ためして ください。',
  },
);
