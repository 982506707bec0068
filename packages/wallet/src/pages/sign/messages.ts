import { defineMessages } from '../../i18n/index.ts';
import { signPasswordMessages } from '../card-login/card-form-messages.ts';

/** Signing a document with the My Number card. */
export const messages = defineMessages(
  'sign',
  {
    ...signPasswordMessages.ja,
    title: '書類に電子署名する',
    intro:
      'マイナンバーカードの署名用電子証明書で、書類に電子署名します。署名には時刻の証明と証明書の有効性の証拠がつくので、引っ越しなどで証明書が失効したあとも、署名したことを確かめられます。',
    chooseFile: '署名するファイル',
    chooseButton: 'ファイルを選ぶ',
    noFileChosen: 'まだ選んでいません',
    chooseHint:
      'PDFは署名をファイルの中に入れます。ほかのファイルは、署名を別のファイル（.p7s）にします。10MBまで。',
    whatYouSign: '選んだファイル',
    fileName: 'ファイル名',
    fileSize: '大きさ',
    bytes: 'バイト',
    fileHash: 'ファイルの指紋（SHA-256）',
    formatPdf: 'PDFの中に署名を入れます。署名したPDFをダウンロードできます。',
    formatP7s: '署名を別のファイル「{{name}}」にします。もとのファイルといっしょに保管してください。',
    next: '次へ（署名者の表示を確かめる）',
    reading: 'カードから証明書を読んでいます…',
    preparing: '署名の準備をしています…',
    deviceHeading: 'この端末の証明書で署名',
    deviceHint:
      'この端末に入れた署名用の証明書で署名します。カードもパスワードもいりません。署名には、証明書にある氏名と住所が表示されます。',
    deviceSign: 'この端末の証明書で署名',
    deviceSigning: 'この端末で署名し、時刻の証明をつけています…',
    cardHeading: 'マイナンバーカードで署名',
    signerShown: '署名者として表示される内容',
    signerShownHint:
      '署名を確かめた人には、カードの証明書にある次の氏名と住所が見えます。よければ「署名する」を押してください。',
    signerName: '氏名',
    signerAddress: '住所',
    certificateUntil: '証明書の有効期限',
    signNow: '署名する',
    cancel: 'やめる',
    signing: 'カードで署名し、時刻の証明をつけています…',
    doneTitle: '署名しました',
    donePdf: 'PDFに電子署名しました。下のボタンから保存してください。',
    doneP7s: '署名ファイルを作りました。もとのファイルといっしょに保存してください。',
    provenAt: '署名が存在したことが証明された時刻',
    download: '「{{name}}」を保存する',
    verifyHint: '署名は、だれでも確かめられます:',
    verifyLink: '署名を確かめるページ',
    another: 'ほかの書類に署名する',
    err_signature_file_required: '署名するファイルを選んでください。',
    err_signature_document_too_large: 'ファイルが大きすぎます。10MBまでのファイルを選んでください。',
    err_signature_document_unsupported:
      'このPDFには署名できません。PDFを保存しなおしてから、もう一度お試しください。',
    err_signature_certificate_unacceptable:
      'このカードの署名用電子証明書は使えません。有効期限が切れていないか確かめてください。',
    err_signature_card_signature_invalid: 'カードの署名を確かめられませんでした。もう一度お試しください。',
    err_signature_sign_expired: '時間がたちすぎました。もう一度お試しください。',
    err_signature_sign_used:
      'この署名はもう終わっています。もう一度署名するときは、はじめからお試しください。',
    err_signature_sign_unknown: '署名の準備が見つかりませんでした。もう一度お試しください。',
    err_signature_evidence_unavailable:
      'いまは証明書が有効かどうか確かめられません。しばらくしてから、もう一度お試しください。',
    err_signature_result_invalid:
      'この証明書では有効な署名を作れませんでした。証明書が失効していないか、市区町村の窓口で確かめてください。',
    err_signature_busy: 'いま混みあっています。少し待ってから、もう一度お試しください。',
  },
  {
    ...signPasswordMessages.en,
    title: 'Sign a document electronically',
    intro:
      "Sign a document with your My Number card's signing certificate. The signature carries a proof of time and evidence that the certificate was valid, so it can still be checked after the certificate is revoked, for example after a move.",
    chooseFile: 'File to sign',
    chooseButton: 'Choose a file',
    noFileChosen: 'No file chosen yet',
    chooseHint:
      'A PDF gets the signature inside. Any other file gets its signature as a separate file (.p7s). Up to 10 MB.',
    whatYouSign: 'The file you chose',
    fileName: 'File name',
    fileSize: 'Size',
    bytes: 'bytes',
    fileHash: 'Fingerprint of the file (SHA-256)',
    formatPdf: 'The signature goes inside the PDF. You can download the signed PDF.',
    formatP7s:
      'The signature goes into a separate file, “{{name}}”. Keep it together with the original file.',
    next: 'Next (check how you will be shown)',
    reading: 'Reading the certificate from your card…',
    preparing: 'Preparing the signature…',
    deviceHeading: 'Sign with this device’s certificate',
    deviceHint:
      'Signs with the signing certificate on this device. No card or password needed. The signature shows the name and address in the certificate.',
    deviceSign: 'Sign with this device’s certificate',
    deviceSigning: 'Signing on this device and adding the time proof…',
    cardHeading: 'Sign with your My Number card',
    signerShown: 'How you will be shown as the signer',
    signerShownHint:
      "Anyone who checks the signature sees this name and address from your card's certificate. If that is fine, press “Sign”.",
    signerName: 'Name',
    signerAddress: 'Address',
    certificateUntil: 'Certificate valid until',
    signNow: 'Sign',
    cancel: 'Stop',
    signing: 'Signing with your card and adding the proof of time…',
    doneTitle: 'Signed',
    donePdf: 'The PDF is signed. Save it with the button below.',
    doneP7s: 'The signature file is ready. Save it together with the original file.',
    provenAt: 'Proven to exist at',
    download: 'Save “{{name}}”',
    verifyHint: 'Anyone can check the signature:',
    verifyLink: 'the signature checking page',
    another: 'Sign another document',
    err_signature_file_required: 'Choose the file to sign.',
    err_signature_document_too_large: 'The file is too large. Choose a file of up to 10 MB.',
    err_signature_document_unsupported: 'This PDF cannot be signed. Save the PDF again and retry.',
    err_signature_certificate_unacceptable:
      "This card's signing certificate cannot be used. Check that it has not expired.",
    err_signature_card_signature_invalid: "The card's signature could not be checked. Please try again.",
    err_signature_sign_expired: 'Too much time passed. Please try again.',
    err_signature_sign_used: 'This signature is already finished. To sign again, start over.',
    err_signature_sign_unknown: 'The prepared signature could not be found. Please try again.',
    err_signature_evidence_unavailable:
      'The certificate cannot be checked right now. Please try again later.',
    err_signature_result_invalid:
      'No valid signature can be made with this certificate. Please ask your municipal office whether it was revoked.',
    err_signature_busy: 'It is busy right now. Wait a moment and try again.',
  },
  {
    ...signPasswordMessages['ja-x-easy'],
    title: '書類に カードで サインする',
    intro:
      'マイナンバーカードで、書類に 電子の サイン（署名）を します。サインには 時こくの 証明が つきます。引っこした あとでも、サインした ことを たしかめられます。',
    chooseFile: 'サインする ファイル',
    chooseButton: 'ファイルを えらぶ',
    noFileChosen: 'まだ えらんで いません',
    chooseHint:
      'PDFは、サインを ファイルの 中に 入れます。ほかの ファイルは、サインを べつの ファイル（.p7s）に します。10MBまで です。',
    whatYouSign: 'えらんだ ファイル',
    fileName: 'ファイルの 名前',
    fileSize: 'ファイルの 大きさ',
    bytes: 'バイト',
    fileHash: 'ファイルの しるし（SHA-256）',
    formatPdf: 'PDFの 中に サインを 入れます。サインした PDFを 保存できます。',
    formatP7s:
      'サインを べつの ファイル「{{name}}」に します。もとの ファイルと いっしょに とって おいて ください。',
    next: 'つぎへ（サインに 出る 名前を 見る）',
    reading: 'カードから 証明書を 読んで います…',
    preparing: 'じゅんび して います…',
    deviceHeading: 'この たんまつの 証明書で 署名',
    deviceHint:
      'この たんまつに 入れた 署名用の 証明書で 署名します。カードも パスワードも いりません。署名には 証明書に ある 名前と 住所が 出ます。',
    deviceSign: 'この たんまつの 証明書で 署名',
    deviceSigning: 'この たんまつで 署名して います…',
    cardHeading: 'マイナンバーカードで 署名',
    signerShown: 'サインに 出る あなたの 情報',
    signerShownHint:
      'サインを たしかめた 人には、カードに ある この 名前と 住所が 見えます。よければ「サインする」を おして ください。',
    signerName: '名前',
    signerAddress: '住所（住んで いる 所）',
    certificateUntil: '証明書を つかえる 日',
    signNow: 'サインする',
    cancel: 'やめる',
    signing: 'カードで サインして、時こくの 証明を つけて います…',
    doneTitle: 'サインしました',
    donePdf: 'PDFに サインしました。下の ボタンで 保存して ください。',
    doneP7s: 'サインの ファイルが できました。もとの ファイルと いっしょに 保存して ください。',
    provenAt: 'サインが あった ことが 証明された 時こく',
    download: '「{{name}}」を 保存する',
    verifyHint: 'サインは だれでも たしかめられます:',
    verifyLink: 'サインを たしかめる ページ',
    another: 'ほかの 書類に サインする',
    err_signature_file_required: 'サインする ファイルを えらんで ください。',
    err_signature_document_too_large: 'ファイルが 大きすぎます。10MBまでの ファイルを えらんで ください。',
    err_signature_document_unsupported:
      'この PDFには サインできません。PDFを 保存しなおしてから、もう一度 ためして ください。',
    err_signature_certificate_unacceptable:
      'この カードの 証明書は つかえません。つかえる 日が すぎて いないか 見て ください。',
    err_signature_card_signature_invalid:
      'カードの サインを たしかめられませんでした。もう一度 ためして ください。',
    err_signature_sign_expired: '時間が たちすぎました。もう一度 ためして ください。',
    err_signature_sign_used:
      'この サインは もう おわって います。もう一度 サインする ときは、はじめから ためして ください。',
    err_signature_sign_unknown: 'サインの じゅんびが 見つかりません でした。もう一度 ためして ください。',
    err_signature_evidence_unavailable:
      'いまは 証明書が つかえるか 見る ことが できません。少し まってから、もう一度 ためして ください。',
    err_signature_result_invalid:
      'この 証明書では サインが できませんでした。市や 町の 役所で、証明書が つかえるか 聞いて ください。',
    err_signature_busy: 'いま こんで います。少し まってから、もう一度 ためして ください。',
  },
);
