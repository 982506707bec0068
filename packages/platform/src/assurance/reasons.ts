/**
 * Reasons: every assurance decision carries at least one, with a stable code, an English and a
 * Japanese sentence, and the rule it applies. The codes are part of the API (logged, shown in the
 * wallet, returned to RPs in `error_description`); the prose may be reworded.
 */

/** Short names of the sources every rule cites; expanded in the published table (`table.ts`). */
export const SOURCES = {
  jp: 'JP-2019: 行政手続におけるオンラインによる本人確認の手法に関するガイドライン (2019-02-25 各府省CIO連絡会議決定, Digital Agency DS-500)',
  nistA: 'NIST SP 800-63A-4 (2025)',
  nistB: 'NIST SP 800-63B-4 (2025)',
  nistC: 'NIST SP 800-63C-4 (2025)',
  eidas: 'Regulation (EU) 910/2014 Art. 8; Implementing Regulation (EU) 2015/1502, Annex',
  design: 'Watashi docs/architecture.md',
} as const;

/** Stable codes of assurance reasons. */
export type ReasonCode =
  // identity proofing (evaluateIdentityProofing)
  | 'proofing_none'
  | 'anchor_sign_current'
  | 'anchor_auth_no_attributes'
  | 'anchor_status_stale'
  | 'anchor_status_outdated'
  | 'anchor_status_unknown'
  | 'anchor_check_in_future'
  | 'anchor_on_hold'
  | 'anchor_expired'
  | 'anchor_revoked'
  | 'anchor_revoked_compromise'
  | 'anchor_revoked_subject_ceased'
  | 'reproofing_required'
  // one authenticator (evaluateAuthenticator)
  | 'password_single_factor'
  | 'possession_proven'
  | 'activation_pin'
  | 'activation_biometric'
  | 'activation_user_verified'
  | 'activation_absent'
  | 'biometric_not_bound'
  | 'cap_syncable'
  | 'cap_software_key'
  | 'cap_hardware_unverified'
  | 'cap_not_phishing_resistant'
  | 'card_auth_top'
  | 'multi_factor_hardware_bound'
  | 'multi_factor'
  | 'single_factor'
  // one login (evaluateAuthentication)
  | 'no_authenticator'
  | 'aal_from_authenticator'
  | 'aal_password_plus_hardware_key'
  | 'aal_password_plus_key'
  | 'reauthentication_due'
  | 'fal1_signed'
  | 'fal2_protected'
  | 'fal3_holder_of_key'
  | 'fal_sender_constrained_only'
  | 'eidas_minimum'
  | 'eidas_none'
  // policy (decide)
  | 'requirement_satisfied'
  | 'ial_insufficient'
  | 'aal_insufficient'
  | 'fal_insufficient'
  | 'acr_unsatisfied'
  | 'acr_unknown';

/** One explained step of an assurance decision. */
export interface Reason {
  /** Stable machine-readable code. */
  readonly code: ReasonCode;
  /** English explanation. */
  readonly en: string;
  /** Japanese explanation (日本語の説明). */
  readonly ja: string;
  /** The rule applied: guideline, section. */
  readonly source: string;
  /** Values the rule was applied to (levels, ages in seconds, the acr asked for …). */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

const { jp, nistA, nistB, nistC, eidas, design } = SOURCES;

const CATALOG: { readonly [K in ReasonCode]: { en: string; ja: string; source: string } } = {
  proofing_none: {
    en: 'No identity proofing is on record for this account, so no identity assurance level is claimed.',
    ja: 'このアカウントには身元確認の記録がないため、身元確認保証レベルを主張しない。',
    source: `${nistC} §2.5 (no IAL claim); ${jp} §2.2`,
  },
  anchor_sign_current: {
    en: 'Identity proven by a signature with the My Number card signing certificate, whose status was confirmed good recently.',
    ja: 'マイナンバーカードの署名用電子証明書による電子署名で身元確認済みであり、直近の失効確認で有効であった。',
    source: `${jp} §2.3 (公的個人認証 署名用電子証明書 = 身元確認保証レベル3); ${nistA} §4.2 (SUPERIOR evidence, digital evidence pathway)`,
  },
  anchor_auth_no_attributes: {
    en: 'The anchor is the user-authentication certificate: it proves control of a genuine card but carries no identity attributes, so identity is only self-asserted.',
    ja: 'アンカーが利用者証明用電子証明書であり、真正なカードの保持は示すが基本4情報を含まないため、身元は自己申告の扱いとなる。',
    source: `${jp} §2.2; docs/jpki.md §1.3 (利用者証明用電子証明書: no SAN, no basic 4 information)`,
  },
  anchor_status_stale: {
    en: 'The signing certificate was good when last checked, but that check is older than the freshness window; the identity is held at level 2 until the next check.',
    ja: '署名用電子証明書は前回の確認では有効だったが、その確認が鮮度の許容期間より古いため、次の確認まで身元確認保証レベル2とする。',
    source: `${design} §3.4 (daily CRL sweep); Watashi policy: levels reflect current evidence`,
  },
  anchor_status_outdated: {
    en: 'The status of the anchor has not been confirmed for too long; the identity attributes are no longer treated as verified.',
    ja: 'アンカー証明書の状態が長期間確認されていないため、属性を確認済みとして扱わない。',
    source: `${design} §3.4; Watashi policy: levels reflect current evidence`,
  },
  anchor_status_unknown: {
    en: 'The revocation status of the signing certificate could not be determined (fail closed): level 3 is not claimed until a definite answer is obtained.',
    ja: '署名用電子証明書の失効状態を確認できなかったため（フェイルクローズ）、確定した結果が得られるまでレベル3を主張しない。',
    source: `docs/conventions.md habit 5 (unverifiable status is "unknown", hard-fail); RFC 6960 §2.2`,
  },
  anchor_check_in_future: {
    en: 'The recorded status check lies in the future relative to the evaluation time; it is not trusted as fresh.',
    ja: '記録された失効確認時刻が評価時刻より未来であるため、新しい確認として扱わない。',
    source: 'Watashi policy: fail closed on inconsistent evidence',
  },
  anchor_on_hold: {
    en: 'The signing certificate is on hold (e.g. a lost card): the identity evidence is suspended until the hold is released or the resident re-proofs.',
    ja: '署名用電子証明書が一時保留中（カード紛失等）のため、保留解除または再度の身元確認まで証拠を停止扱いとする。',
    source: `RFC 5280 §5.3.1 (certificateHold); docs/jpki.md §2.2 (certificateHold = lost card); ${design} §3.4`,
  },
  anchor_expired: {
    en: 'The signing certificate has expired: J-LIS will no longer report changes for it, so the attributes are no longer verified; re-proof with the renewed card.',
    ja: '署名用電子証明書の有効期限が切れており、以後の変更が通知されないため、属性は確認済みとして扱わない。更新後のカードで再度身元確認を行う。',
    source: `RFC 5280 §4.1.2.5; ${design} §3.4`,
  },
  anchor_revoked: {
    en: 'The signing certificate was revoked (for example because the basic 4 information changed): the identity was verified once, but the evidence is no longer current.',
    ja: '署名用電子証明書が失効した（基本4情報の変更等）。身元確認は一度行われたが、証拠はもはや最新ではない。',
    source: `${design} §3.4 (proofing level drops without consent-based refresh); docs/jpki.md §2.2`,
  },
  anchor_revoked_compromise: {
    en: 'The anchor was revoked for key compromise: the enrolment signature itself may not have been made by the holder, so no identity claim is made.',
    ja: 'アンカー証明書が鍵の危殆化により失効したため、登録時の署名自体が本人によるものか確認できず、身元確認の主張を行わない。',
    source: 'RFC 5280 §5.3.1 (keyCompromise, cACompromise, aACompromise); Watashi policy: fail closed',
  },
  anchor_revoked_subject_ceased: {
    en: 'The anchor was revoked because the resident record ended (death or emigration): no identity claim is made.',
    ja: '住民票の消除（死亡・国外転出）により失効したため、身元確認の主張を行わない。',
    source: 'docs/jpki.md §2.2 (cessationOfOperation = 住民票消除, inferred mapping)',
  },
  reproofing_required: {
    en: 'The account is marked as needing re-proofing: at most level 1 until the resident signs again with the card.',
    ja: 'アカウントが再度の身元確認を要する状態のため、カードで再署名するまで最大でレベル1とする。',
    source: `${design} §3.4 (re-proof in one step)`,
  },
  password_single_factor: {
    en: 'A password is a single knowledge factor: at most level 1 on its own, and never phishing-resistant.',
    ja: 'パスワードは単一の知識要素であり、単独では最大レベル1、耐フィッシング性はない。',
    source: `${jp} §2.2 (当人認証保証レベル1: 単要素); ${nistB} §2.1, §3.1.1`,
  },
  possession_proven: {
    en: 'Possession of a cryptographic key bound to the account was proven by a signature over a fresh challenge (replay-resistant).',
    ja: 'アカウントに紐づく暗号鍵の保有を、新しいチャレンジへの署名で確認した（リプレイ耐性あり）。',
    source: `${nistB} §3.1.6, §3.1.7, §3.2.7`,
  },
  activation_pin: {
    en: 'The key was activated by a PIN that the authenticator itself verified: a second factor (knowledge).',
    ja: '鍵はオーセンティケータ自身が照合するPINで活性化された（知識要素としての第二要素）。',
    source: `${nistB} §3.1.7 (activation factor)`,
  },
  activation_biometric: {
    en: 'The device-bound key was activated by a biometric match performed by the authenticator: counted as the activation factor (inherence).',
    ja: '端末に固定された鍵がオーセンティケータによる生体照合で活性化された。活性化要素（生体要素）として数える。',
    source: `${design} §3.2 (biometrics only as the activation factor of a device-bound key); ${nistB} §2.2, §3.2.3`,
  },
  activation_user_verified: {
    en: 'The authenticator reported local user verification (WebAuthn UV flag) without naming the method: counted as the activation factor.',
    ja: 'オーセンティケータが方式を示さずに利用者検証（WebAuthn UVフラグ）を報告した。活性化要素として数える。',
    source: `${nistB} Appendix B (UV flag makes a multi-factor cryptographic authenticator); WebAuthn Level 3 §6.1`,
  },
  activation_absent: {
    en: 'The authenticator did not verify the user locally: single-factor possession only.',
    ja: 'オーセンティケータが利用者検証を行っていないため、所持の単要素のみとなる。',
    source: `${nistB} Appendix B (without UV, treat as single-factor cryptographic)`,
  },
  biometric_not_bound: {
    en: 'A biometric counts only as the activation factor of a device-bound, store-protected key; here the key is syncable or software-held, so the biometric is not counted.',
    ja: '生体認証は端末に固定され保護された鍵の活性化要素としてのみ数える。本件の鍵は同期可能またはソフトウェア保管のため、生体認証を要素として数えない。',
    source: `${design} §3.2; ${nistB} §2.2 (a biometric is not an authenticator by itself); seed 000 回1 (EU: no top-level eID on biometrics)`,
  },
  cap_syncable: {
    en: 'The key is syncable (backup eligible, or sync state not reported): it can be exported, so it cannot reach level 3.',
    ja: '鍵が同期可能（バックアップ可能、または同期状態不明）であり、エクスポートされ得るため、レベル3には達しない。',
    source: `${nistB} Appendix B ("syncing violates the non-exportability requirements of AAL3"); ${design} §3.2`,
  },
  cap_software_key: {
    en: 'The key is protected in software: it cannot reach level 3.',
    ja: '鍵がソフトウェアで保護されているため、レベル3には達しない。',
    source: `${nistB} §2.3 (AAL3 is hardware-based); seed 000 回1 (software-protected keys are not "high")`,
  },
  cap_hardware_unverified: {
    en: 'Hardware protection of the key is not established by a trusted attestation: it cannot reach level 3.',
    ja: '鍵のハードウェア保護が信頼できるアテステーションで確認されていないため、レベル3には達しない。',
    source: `${nistB} §2.3; ${nistB} Appendix B (attestation shows authenticator capabilities)`,
  },
  cap_not_phishing_resistant: {
    en: 'The authentication is not phishing-resistant (no verifier-impersonation resistance): it cannot reach level 3.',
    ja: '認証に耐フィッシング性（検証者なりすまし耐性）がないため、レベル3には達しない。',
    source: `${nistB} §2.3, §3.2.5`,
  },
  card_auth_top: {
    en: 'The My Number card user-authentication certificate with its PIN: a non-exportable hardware key plus a PIN, the top authentication level.',
    ja: 'マイナンバーカードの利用者証明用電子証明書とPINによる認証。取り出せないハードウェア鍵とPINの二要素で、当人認証保証レベル3。',
    source: `${jp} §2.3 (当人認証保証レベル3: 公的個人認証 利用者証明用電子証明書); ${nistB} §2.3; ${eidas} 2.2.1 (high)`,
  },
  multi_factor_hardware_bound: {
    en: 'A multi-factor, hardware-bound, non-exportable, phishing-resistant key: level 3.',
    ja: 'ハードウェアに固定されエクスポート不能で耐フィッシング性のある多要素の鍵：レベル3。',
    source: `${nistB} §2.3; ${eidas} 2.2.1 (high)`,
  },
  multi_factor: {
    en: 'Two distinct factors were proven: level 2.',
    ja: '異なる二つの要素を確認した：レベル2。',
    source: `${jp} §2.2 (当人認証保証レベル2: 多要素); ${nistB} §2.2`,
  },
  single_factor: {
    en: 'Only one factor was proven: level 1.',
    ja: '確認できた要素は一つのみ：レベル1。',
    source: `${jp} §2.2 (当人認証保証レベル1); ${nistB} §2.1`,
  },
  no_authenticator: {
    en: 'No authenticator was used in this session: the user is not authenticated.',
    ja: 'このセッションではオーセンティケータが使われておらず、当人認証されていない。',
    source: `${nistB} §2`,
  },
  aal_from_authenticator: {
    en: 'The session level is the highest level reached by one authenticator on its own.',
    ja: 'セッションのレベルは、単独のオーセンティケータが達した最高レベルとする。',
    source: `${nistB} §2.1–2.3`,
  },
  aal_password_plus_hardware_key: {
    en: 'A single-factor hardware-bound, phishing-resistant key used together with a password: level 3.',
    ja: 'ハードウェアに固定された耐フィッシング性の単要素鍵とパスワードの組合せ：レベル3。',
    source: `${nistB} §2.3 (single-factor cryptographic authentication with a password)`,
  },
  aal_password_plus_key: {
    en: 'A password together with a single-factor cryptographic key (something you know and something you have): level 2.',
    ja: 'パスワードと単要素の暗号鍵（知識と所持）の組合せ：レベル2。',
    source: `${nistB} §2.2 (password plus a physical authenticator)`,
  },
  reauthentication_due: {
    en: 'The authentication is older than the reauthentication limit of its level, so the session now counts at a lower level.',
    ja: '認証からの経過時間がそのレベルの再認証期限を超えたため、セッションを下位のレベルとして扱う。',
    source: `${nistB} §2.1.3, §2.2.3, §2.3.3 (AAL1 30 days, AAL2 24 hours, AAL3 12 hours)`,
  },
  fal1_signed: {
    en: 'The assertion is signed with approved cryptography and audience-restricted: FAL1.',
    ja: 'アサーションは承認された暗号で署名され、受信者が限定されている：FAL1。',
    source: `${nistC} §2.2`,
  },
  fal2_protected: {
    en: 'Single audience, injection-protected (the transaction begins at the RP), a priori trust with the RP: FAL2.',
    ja: '単一の受信者、インジェクション対策あり（RPが開始）、事前の信頼合意あり：FAL2。',
    source: `${nistC} §2.3`,
  },
  fal3_holder_of_key: {
    en: 'In addition, the RP verifies that the subscriber controls a key named in the assertion, and keys are established statically: FAL3.',
    ja: 'さらに、アサーションに示された鍵を利用者が保持していることをRPが検証し、鍵は静的に確立されている：FAL3。',
    source: `${nistC} §2.4, §3.14, §3.15`,
  },
  fal_sender_constrained_only: {
    en: 'Tokens are sender-constrained to the RP (DPoP or mTLS); that protects the tokens but binds the RP, not the subscriber, so it is not FAL3.',
    ja: 'トークンはRPの鍵に送信者制約されている（DPoP/mTLS）。トークンは保護されるが、束縛されるのは利用者ではなくRPであり、FAL3にはならない。',
    source: `RFC 9449 §1; RFC 8705 §3; ${nistC} §2.4`,
  },
  eidas_minimum: {
    en: 'The eIDAS level is the lowest of the identity proofing and authentication elements.',
    ja: 'eIDASの保証レベルは、身元確認と認証の各要素のうち最も低いものとする。',
    source: `${eidas} (a means is at a level only if every element meets that level)`,
  },
  eidas_none: {
    en: 'One element maps to no eIDAS level, so no eIDAS level is claimed.',
    ja: 'いずれかの要素がeIDASのどのレベルにも該当しないため、eIDASのレベルを主張しない。',
    source: `${eidas} 2.1.2 (low requires identity evidence)`,
  },
  requirement_satisfied: {
    en: 'The authentication context meets every requirement of the request.',
    ja: '認証コンテキストは要求のすべてを満たしている。',
    source: `${nistC} §2.5; RFC 9470 §3`,
  },
  ial_insufficient: {
    en: 'The identity assurance level of the account is below the required minimum; the resident can re-proof with the card.',
    ja: 'アカウントの身元確認保証レベルが要求される最低値に満たない。カードで再度身元確認できる。',
    source: `${nistC} §2.5; ${design} §6`,
  },
  aal_insufficient: {
    en: 'The authentication level of this session is below the required minimum; authenticate again with a stronger authenticator.',
    ja: 'このセッションの当人認証保証レベルが要求される最低値に満たない。より強いオーセンティケータで再認証する。',
    source: `RFC 9470 §3 (insufficient_user_authentication); ${nistC} §2.5`,
  },
  fal_insufficient: {
    en: 'The federation level of this transaction is below the required minimum; it is set by the protocol the RP uses, not by the resident.',
    ja: 'この連携のフェデレーション保証レベルが要求に満たない。これはRPが用いるプロトコルで決まり、利用者の操作では上げられない。',
    source: `${nistC} §2.5`,
  },
  acr_unsatisfied: {
    en: 'None of the requested authentication context classes is met by this session.',
    ja: '要求された認証コンテキストクラスのいずれも、このセッションでは満たされていない。',
    source: 'OIDC Core 1.0 §3.1.2.1 (acr_values), §5.5.1.1; RFC 9470 §3',
  },
  acr_unknown: {
    en: 'A requested acr value is not in the published vocabulary and is ignored; it can never be satisfied.',
    ja: '要求されたacr値は公開している語彙に含まれないため無視する（満たされることはない）。',
    source: 'OIDC Core 1.0 §3.1.2.1; Watashi assurance table (acrValues)',
  },
};

/** Builds the reason for a code, with optional detail values. */
export function reason(
  code: ReasonCode,
  detail?: Readonly<Record<string, string | number | boolean>>,
): Reason {
  const entry = CATALOG[code];
  return detail === undefined ? { code, ...entry } : { code, ...entry, detail };
}

/** Every reason code, in catalog order (for tests and documentation). */
export const REASON_CODES: readonly ReasonCode[] = Object.keys(CATALOG) as ReasonCode[];
