/**
 * The published assurance table (docs/architecture.md §6): Watashi's canonical levels are the Japanese
 * guideline's 身元確認保証レベル and 当人認証保証レベル 1–3, mapped to NIST SP 800-63-4 and eIDAS,
 * plus the federation levels of the assertions Watashi issues and the `acr` vocabulary it speaks.
 * The discovery document links to `assuranceTableJson()`; the wallet and the docs render
 * `assuranceTableMarkdown()` / `assuranceTableHtml()`. Levels are computed from this data
 * (`evaluate.ts`), never typed in.
 */
import { SOURCES } from './reasons.ts';

/** 身元確認保証レベル (identity assurance level) of an account; 0 = no identity claim (SP 800-63C-4 §2.5). */
export type Ial = 0 | 1 | 2 | 3;
/** 当人認証保証レベル (authentication assurance level) of a session; 0 = not authenticated. */
export type Aal = 0 | 1 | 2 | 3;
/** Federation assurance level of an assertion (SP 800-63C-4 §2). */
export type Fal = 1 | 2 | 3;
/** NIST SP 800-63A-4 identity assurance level, or no claim. */
export type NistIal = 'none' | 'IAL1' | 'IAL2' | 'IAL3';
/** NIST SP 800-63B-4 authentication assurance level, or no claim. */
export type NistAal = 'none' | 'AAL1' | 'AAL2' | 'AAL3';
/** NIST SP 800-63C-4 federation assurance level. */
export type NistFal = 'FAL1' | 'FAL2' | 'FAL3';
/** eIDAS level of assurance (Regulation (EU) 910/2014 Art. 8(2)). */
export type EidasLoa = 'low' | 'substantial' | 'high';

/** A framework the table maps to, with the exact version followed. */
export interface Framework {
  readonly id: string;
  readonly title: string;
  readonly titleEn: string;
  readonly issuer: string;
  readonly version: string;
  readonly date: string;
  readonly url: string;
  readonly note: string;
}

/** One identity proofing level (身元確認保証レベル). */
export interface IdentityProofingRow {
  readonly level: 1 | 2 | 3;
  readonly nameJa: string;
  readonly nameEn: string;
  readonly definitionJa: string;
  readonly definitionEn: string;
  /** Which Watashi accounts are at this level (see `evaluateIdentityProofing`). */
  readonly watashi: string;
  readonly nist: NistIal;
  readonly eidas: EidasLoa | 'none';
  /** Why this mapping, where it is ours to argue. */
  readonly mappingNote: string;
  readonly source: string;
}

/** One authentication level (当人認証保証レベル). */
export interface AuthenticationRow {
  readonly level: 1 | 2 | 3;
  readonly nameJa: string;
  readonly nameEn: string;
  readonly definitionJa: string;
  readonly definitionEn: string;
  readonly watashi: string;
  readonly nist: NistAal;
  readonly eidas: EidasLoa;
  /** Overall reauthentication limit in seconds (SP 800-63B-4 §2.x.3). */
  readonly reauthenticationSeconds: number;
  readonly mappingNote: string;
  readonly source: string;
}

/** One federation level of the assertions Watashi issues. */
export interface FederationRow {
  readonly level: Fal;
  readonly nameJa: string;
  readonly nameEn: string;
  readonly definitionEn: string;
  readonly nist: NistFal;
  /** eIDAS and the 2019 Japanese guideline define no federation level. */
  readonly eidas: 'none';
  readonly issuedByWatashi: boolean;
  readonly watashi: string;
  readonly source: string;
}

/** One `acr` value Watashi publishes or recognises in requests. */
export interface AcrRow {
  readonly value: string;
  /** `watashi`: published and emitted; `eidas` / `eap`: recognised in `acr_values` and emitted when asked for and met. */
  readonly vocabulary: 'watashi' | 'eidas' | 'eap';
  /** The least Watashi levels that satisfy this value. */
  readonly ial: Ial;
  readonly aal: Exclude<Aal, 0>;
  readonly phishingResistant: boolean;
  readonly hardwareProtected: boolean;
  readonly nist: { readonly ial: NistIal; readonly aal: NistAal };
  readonly eidas: EidasLoa | null;
  readonly meaningEn: string;
  readonly meaningJa: string;
  readonly source: string;
}

/** The whole published table. */
export interface AssuranceTable {
  readonly id: string;
  readonly version: string;
  readonly date: string;
  readonly frameworks: { readonly jp: Framework; readonly nist: Framework; readonly eidas: Framework };
  readonly notes: readonly { readonly en: string; readonly ja: string }[];
  readonly acrScheme: {
    readonly watashiPattern: string;
    readonly identityFreePattern: string;
    readonly orderingEn: string;
    readonly orderingJa: string;
    readonly source: string;
  };
  readonly identityProofing: readonly IdentityProofingRow[];
  readonly authentication: readonly AuthenticationRow[];
  readonly federation: readonly FederationRow[];
  readonly acrValues: readonly AcrRow[];
}

const { jp, nistA, nistB, nistC, eidas, design } = SOURCES;

/** Prefix of the Watashi acr values (a URN: stable, no HTTP fetch implied). */
const ACR_PREFIX = 'urn:watashi:ac:jp:';

/** The acr value for an identity level and an authentication level (`aal` ≥ 1). */
export function acrFor(ial: Ial, aal: Exclude<Aal, 0>): string {
  return ial === 0 ? `${ACR_PREFIX}aal${aal}` : `${ACR_PREFIX}ial${ial}-aal${aal}`;
}

const IDENTITY_PROOFING: readonly IdentityProofingRow[] = [
  {
    level: 1,
    nameJa: '身元確認保証レベル1',
    nameEn: 'Identity assurance level 1 (self-asserted)',
    definitionJa: '身元情報は自己申告であり、証拠による確認を行っていない。',
    definitionEn: 'Identity attributes are self-asserted; no identity evidence is verified.',
    watashi:
      'Accounts whose signing-certificate anchor is revoked, expired or on hold, accounts marked for re-proofing, and accounts anchored only on the user-authentication certificate: the attributes were verified once or not at all, and are not current.',
    nist: 'none',
    eidas: 'none',
    mappingNote:
      'SP 800-63A-4 has no self-asserted IAL (IAL1 already requires evidence), and eIDAS "low" requires evidence recognised by a Member State, so this level claims neither.',
    source: `${jp} §2.2; ${nistC} §2.5; ${eidas} 2.1.2`,
  },
  {
    level: 2,
    nameJa: '身元確認保証レベル2',
    nameEn: 'Identity assurance level 2 (identity evidence checked remotely or in person)',
    definitionJa: '遠隔または対面で、身元確認書類等の証拠により登録時に身元を確認する。',
    definitionEn: 'Identity is checked once, at enrolment, against identity evidence, remotely or in person.',
    watashi:
      'JPKI-proofed accounts whose signing certificate has not been confirmed good recently (status stale or unknown): verified by strong evidence, but that evidence is not confirmed current. This is no weaker than a document check that is never re-checked.',
    nist: 'IAL1',
    eidas: 'low',
    mappingNote:
      'Conservative: level 2 admits a single piece of ordinary evidence, which meets SP 800-63A-4 IAL1 (one FAIR piece, §4.1) and eIDAS low (2.1.2), not necessarily IAL2 or substantial.',
    source: `${jp} §2.2, §2.3; ${nistA} §4.1; ${eidas} 2.1.2`,
  },
  {
    level: 3,
    nameJa: '身元確認保証レベル3',
    nameEn:
      'Identity assurance level 3 (in person with photo ID, or online with the JPKI signing certificate)',
    definitionJa:
      '対面で写真付き本人確認書類により、またはオンラインで公的個人認証サービスの署名用電子証明書により身元を確認する。',
    definitionEn:
      'Identity is verified in person against photo identity evidence, or online with a signature by the JPKI signing certificate (My Number card).',
    watashi:
      'Accounts anchored on a JPKI signing certificate whose status was confirmed good within the freshness window (48 hours by default).',
    nist: 'IAL2',
    eidas: 'high',
    mappingNote:
      'NIST: the signing certificate is SUPERIOR evidence validated cryptographically to a pinned J-LIS root, and ownership is proven with a PIN-activated hardware key (SP 800-63A-4 §4.2, digital evidence pathway); it is not IAL3, which needs attended proofing with a biometric collected by the CSP (§4.3). eIDAS: 2015/1502 Annex 2.1.2 lets a level-high means be issued on the basis of an existing level-high means, taking the risk of changed identity data into account; the card is issued after an in-person photo-ID check, and Watashi watches the certificate for changes. The argument is ours: JPKI is not a notified eIDAS scheme.',
    source: `${jp} §2.3 (署名用電子証明書); ${nistA} §4.2, §4.3; ${eidas} 2.1.2; seed 000 回3 (derived credentials at the card's level)`,
  },
];

const AUTHENTICATION: readonly AuthenticationRow[] = [
  {
    level: 1,
    nameJa: '当人認証保証レベル1',
    nameEn: 'Authentication assurance level 1 (single factor)',
    definitionJa: '単一の認証要素（例：パスワード）により当人を認証する。',
    definitionEn: 'One authentication factor, for example a password.',
    watashi: 'A password alone; a passkey or device key without user verification.',
    nist: 'AAL1',
    eidas: 'low',
    reauthenticationSeconds: 30 * 24 * 3600,
    mappingNote: 'eIDAS 2015/1502 Annex 2.2.1 low: at least one authentication factor.',
    source: `${jp} §2.2; ${nistB} §2.1; ${eidas} 2.2.1, 2.3.1`,
  },
  {
    level: 2,
    nameJa: '当人認証保証レベル2',
    nameEn: 'Authentication assurance level 2 (multi-factor)',
    definitionJa: '異なる種類の複数の認証要素（多要素認証）により当人を認証する。',
    definitionEn: 'Two authentication factors of different kinds (multi-factor).',
    watashi:
      'A passkey with user verification, including a synced passkey; a software-protected device key activated by a PIN; a password together with a key.',
    nist: 'AAL2',
    eidas: 'substantial',
    reauthenticationSeconds: 24 * 3600,
    mappingNote: 'eIDAS 2.2.1 substantial: at least two factors from different categories.',
    source: `${jp} §2.2; ${nistB} §2.2, Appendix B; ${eidas} 2.2.1, 2.3.1`,
  },
  {
    level: 3,
    nameJa: '当人認証保証レベル3',
    nameEn: 'Authentication assurance level 3 (multi-factor with a tamper-resistant hardware key)',
    definitionJa:
      '耐タンパ性のあるハードウェアに格納された取り出せない鍵と、その活性化要素による多要素認証（例：マイナンバーカードの利用者証明用電子証明書とPIN）。',
    definitionEn:
      'Multi-factor authentication with a non-exportable key in tamper-resistant hardware and its activation factor, for example the My Number card user-authentication certificate with its PIN.',
    watashi:
      'The JPKI user-authentication certificate with its PIN (card or smartphone secure element); a device-bound, attested hardware passkey or device key with user verification, phishing-resistant; a device-bound hardware key plus a password. Never a synced passkey or a software key.',
    nist: 'AAL3',
    eidas: 'high',
    reauthenticationSeconds: 12 * 3600,
    mappingNote:
      'eIDAS 2.2.1 / 2.3.1 high: protection against duplication, tampering and attackers with high attack potential, which rules out exportable and software keys (seed 000 回1).',
    source: `${jp} §2.2, §2.3 (利用者証明用電子証明書); ${nistB} §2.3, Appendix B; ${eidas} 2.2.1, 2.3.1`,
  },
];

const FEDERATION: readonly FederationRow[] = [
  {
    level: 1,
    nameJa: 'フェデレーション保証レベル1',
    nameEn: 'Federation assurance level 1',
    definitionEn: 'Signed, audience-restricted bearer assertion.',
    nist: 'FAL1',
    eidas: 'none',
    issuedByWatashi: false,
    watashi: 'Not issued: Watashi has no implicit flow and no multi-audience ID tokens.',
    source: `${nistC} §2.2`,
  },
  {
    level: 2,
    nameJa: 'フェデレーション保証レベル2',
    nameEn: 'Federation assurance level 2',
    definitionEn:
      'FAL1 plus: a single audience, injection protection with the transaction begun by the RP, and an a priori trust agreement.',
    nist: 'FAL2',
    eidas: 'none',
    issuedByWatashi: true,
    watashi:
      'The default for OpenID Connect: authorization code with PKCE (and PAR) begun by the RP, ID token audience = one client_id, RP registered in advance with its allowed claims and minimum level.',
    source: `${nistC} §2.3; ${design} §3.3`,
  },
  {
    level: 3,
    nameJa: 'フェデレーション保証レベル3',
    nameEn: 'Federation assurance level 3',
    definitionEn:
      'FAL2 plus: the RP verifies that the subscriber controls a key named in the assertion (holder-of-key) or a bound authenticator, with statically established keys.',
    nist: 'FAL3',
    eidas: 'none',
    issuedByWatashi: true,
    watashi:
      'Only when the RP verifies a subscriber-held key named in the assertion, e.g. SD-JWT VC presentations with a key-binding JWT (DESIGN §3.6). DPoP or mTLS alone bind tokens to the RP, not to the subscriber, and do not give FAL3.',
    source: `${nistC} §2.4, §3.14, §3.15; RFC 9449`,
  },
];

function watashiAcrRows(): AcrRow[] {
  const rows: AcrRow[] = [];
  const aals = [1, 2, 3] as const;
  for (const aal of aals) {
    const a = AUTHENTICATION[aal - 1] as AuthenticationRow;
    rows.push({
      value: acrFor(0, aal),
      vocabulary: 'watashi',
      ial: 0,
      aal,
      phishingResistant: aal === 3,
      hardwareProtected: aal === 3,
      nist: { ial: 'none', aal: a.nist },
      eidas: null,
      meaningEn: `${a.nameEn}; no identity claim.`,
      meaningJa: `${a.nameJa}（身元確認の主張なし）。`,
      source: `${nistC} §2.5; ${a.source}`,
    });
  }
  for (const ial of [1, 2, 3] as const) {
    const p = IDENTITY_PROOFING[ial - 1] as IdentityProofingRow;
    for (const aal of aals) {
      const a = AUTHENTICATION[aal - 1] as AuthenticationRow;
      rows.push({
        value: acrFor(ial, aal),
        vocabulary: 'watashi',
        ial,
        aal,
        phishingResistant: aal === 3,
        hardwareProtected: aal === 3,
        nist: { ial: p.nist, aal: a.nist },
        eidas: minEidas(p.eidas, a.eidas),
        meaningEn: `${p.nameEn}, and ${a.nameEn}.`,
        meaningJa: `${p.nameJa}かつ${a.nameJa}。`,
        source: `${p.source}; ${a.source}`,
      });
    }
  }
  return rows;
}

/** eIDAS levels in ascending order. */
export const EIDAS_ORDER: readonly EidasLoa[] = ['low', 'substantial', 'high'];

/** The lower of two eIDAS levels; `none` (or null) on either side gives null (2015/1502 Annex: every element must meet the level). */
export function minEidas(a: EidasLoa | 'none' | null, b: EidasLoa | 'none' | null): EidasLoa | null {
  if (a === 'none' || a === null || b === 'none' || b === null) return null;
  return EIDAS_ORDER.indexOf(a) <= EIDAS_ORDER.indexOf(b) ? a : b;
}

/** eIDAS level URIs as used in eIDAS SAML and OIDC deployments. */
export const EIDAS_ACR: { readonly [K in EidasLoa]: string } = {
  low: 'http://eidas.europa.eu/LoA/low',
  substantial: 'http://eidas.europa.eu/LoA/substantial',
  high: 'http://eidas.europa.eu/LoA/high',
};

const EIDAS_ACR_ROWS: readonly AcrRow[] = [
  {
    value: EIDAS_ACR.low,
    vocabulary: 'eidas',
    ial: 2,
    aal: 1,
    phishingResistant: false,
    hardwareProtected: false,
    nist: { ial: 'IAL1', aal: 'AAL1' },
    eidas: 'low',
    meaningEn: 'eIDAS level of assurance low; met from identity level 2 and authentication level 1.',
    meaningJa: 'eIDAS保証レベル low。身元確認保証レベル2・当人認証保証レベル1以上で満たす。',
    source: `${eidas} Art. 8(2)(a); eIDAS SAML Message Format (LoA URIs)`,
  },
  {
    value: EIDAS_ACR.substantial,
    vocabulary: 'eidas',
    ial: 3,
    aal: 2,
    phishingResistant: false,
    hardwareProtected: false,
    nist: { ial: 'IAL2', aal: 'AAL2' },
    eidas: 'substantial',
    meaningEn: 'eIDAS level of assurance substantial; met from identity level 3 and authentication level 2.',
    meaningJa: 'eIDAS保証レベル substantial。身元確認保証レベル3・当人認証保証レベル2以上で満たす。',
    source: `${eidas} Art. 8(2)(b); eIDAS SAML Message Format (LoA URIs)`,
  },
  {
    value: EIDAS_ACR.high,
    vocabulary: 'eidas',
    ial: 3,
    aal: 3,
    phishingResistant: true,
    hardwareProtected: true,
    nist: { ial: 'IAL2', aal: 'AAL3' },
    eidas: 'high',
    meaningEn: 'eIDAS level of assurance high; met only with identity level 3 and authentication level 3.',
    meaningJa: 'eIDAS保証レベル high。身元確認保証レベル3かつ当人認証保証レベル3でのみ満たす。',
    source: `${eidas} Art. 8(2)(c); eIDAS SAML Message Format (LoA URIs)`,
  },
];

const EAP_ACR_ROWS: readonly AcrRow[] = [
  {
    value: 'phr',
    vocabulary: 'eap',
    ial: 0,
    aal: 1,
    phishingResistant: true,
    hardwareProtected: false,
    nist: { ial: 'none', aal: 'AAL1' },
    eidas: null,
    meaningEn: 'Phishing-resistant authentication (a passkey, a device key or the card).',
    meaningJa: '耐フィッシング性のある認証（パスキー、端末鍵、またはカード）。',
    source: 'OpenID Connect Extended Authentication Profile (EAP) ACR Values 1.0 §2',
  },
  {
    value: 'phrh',
    vocabulary: 'eap',
    ial: 0,
    aal: 1,
    phishingResistant: true,
    hardwareProtected: true,
    nist: { ial: 'none', aal: 'AAL1' },
    eidas: null,
    meaningEn: 'Phishing-resistant authentication with a hardware-protected, device-bound key.',
    meaningJa: 'ハードウェアで保護され端末に固定された鍵による耐フィッシング性のある認証。',
    source: 'OpenID Connect Extended Authentication Profile (EAP) ACR Values 1.0 §2',
  },
];

/** The published table, version 1.0.0. Bump `version` and `date` on every change of meaning. */
export const ASSURANCE_TABLE: AssuranceTable = {
  id: 'urn:watashi:assurance-table',
  version: '1.0.0',
  date: '2026-11-22',
  frameworks: {
    jp: {
      id: 'JP-2019',
      title: '行政手続におけるオンラインによる本人確認の手法に関するガイドライン',
      titleEn: 'Guideline on online identity verification methods in administrative procedures',
      issuer: '各府省情報化統括責任者（CIO）連絡会議決定; now Digital Agency standard guideline DS-500',
      version: '2019-02-25 (平成31年2月25日)',
      date: '2019-02-25',
      url: 'https://www.digital.go.jp/resources/standard_guidelines',
      note: 'Followed for the level definitions. Its successor, DS-511 「行政手続等での本人確認におけるデジタルアイデンティティの取扱いに関するガイドライン」 (2025), aligns the vocabulary with NIST SP 800-63-4; its explanatory guide was still being drafted at the expert meeting of 2025-09-30, and we could not verify the DS-511 level text, so a later table version will adopt it.',
    },
    nist: {
      id: 'NIST-SP-800-63-4',
      title: 'NIST SP 800-63-4 Digital Identity Guidelines (63A-4, 63B-4, 63C-4)',
      titleEn: 'NIST SP 800-63-4 Digital Identity Guidelines',
      issuer: 'National Institute of Standards and Technology',
      version: 'Revision 4, final',
      date: '2025-07-31',
      url: 'https://pages.nist.gov/800-63-4/',
      note: 'Final text as stored in usnistgov/800-63-4 at d26e8a2.',
    },
    eidas: {
      id: 'eIDAS',
      title: 'Regulation (EU) No 910/2014 Art. 8 and Commission Implementing Regulation (EU) 2015/1502',
      titleEn: 'eIDAS levels of assurance for electronic identification means',
      issuer: 'European Parliament and Council; European Commission',
      version: '910/2014 (as amended by 2024/1183); 2015/1502',
      date: '2015-09-08',
      url: 'https://eur-lex.europa.eu/eli/reg_impl/2015/1502/oj',
      note: 'A means is at a level only if every element of the Annex (enrolment, means management, authentication, management and organisation) meets that level; Watashi claims the lowest element it meets.',
    },
  },
  notes: [
    {
      en: 'Levels are computed from the evidence on record at the moment of use, never typed in: the identity level drops when the JPKI anchor is revoked, expires, is put on hold or is not confirmed current.',
      ja: '保証レベルは利用時点の証拠から算出し、手入力しない。JPKIアンカーの失効・期限切れ・一時保留・未確認の場合、身元確認保証レベルは下がる。',
    },
    {
      en: 'A synced passkey and a software-protected key never reach authentication level 3; a biometric counts only as the activation factor of a device-bound key.',
      ja: '同期パスキーとソフトウェア保護の鍵は当人認証保証レベル3に達しない。生体認証は端末に固定された鍵の活性化要素としてのみ数える。',
    },
    {
      en: 'The eIDAS level of a login is the lowest of its identity and authentication elements. Mappings to eIDAS and NIST are Watashi’s own analysis, not a notification or certification.',
      ja: 'ログインのeIDASレベルは身元確認と認証の低い方とする。eIDAS・NISTへの対応付けはWatashi独自の分析であり、通知・認証を受けたものではない。',
    },
  ],
  acrScheme: {
    watashiPattern: `${ACR_PREFIX}ial{1-3}-aal{1-3}`,
    identityFreePattern: `${ACR_PREFIX}aal{1-3}`,
    orderingEn:
      'A Watashi acr satisfies another when both its identity level and its authentication level are at least as high (product order); an identity-free value asks nothing of the identity level. eIDAS URIs are satisfied when the lower of the two mapped eIDAS levels is at least the one asked for; phr needs phishing-resistant authentication and phrh a hardware-protected device-bound key. The federation level is not part of acr: it is fixed per RP by its registration and per transaction by the protocol.',
    orderingJa:
      'Watashiのacrは、身元確認レベルと当人認証レベルの両方が要求以上のとき要求を満たす（直積順序）。身元確認を含まない値は身元確認レベルを問わない。eIDASのURIは対応する二つのeIDASレベルの低い方が要求以上のとき、phrは耐フィッシング認証、phrhはハードウェア保護された端末固定鍵のとき満たす。フェデレーション保証レベルはacrに含めない。',
    source: `OIDC Core 1.0 §2 (acr), §3.1.2.1 (acr_values); ${nistC} §2.5; RFC 9470`,
  },
  identityProofing: IDENTITY_PROOFING,
  authentication: AUTHENTICATION,
  federation: FEDERATION,
  acrValues: [...watashiAcrRows(), ...EIDAS_ACR_ROWS, ...EAP_ACR_ROWS],
};

/** The identity proofing row of a level ≥ 1. */
function identityProofingRow(level: 1 | 2 | 3): IdentityProofingRow {
  return ASSURANCE_TABLE.identityProofing[level - 1] as IdentityProofingRow;
}

/** The authentication row of a level ≥ 1. */
export function authenticationRow(level: 1 | 2 | 3): AuthenticationRow {
  return ASSURANCE_TABLE.authentication[level - 1] as AuthenticationRow;
}

/** NIST IAL of a Watashi identity level, from the table. */
export function nistIalOf(ial: Ial): NistIal {
  return ial === 0 ? 'none' : identityProofingRow(ial).nist;
}

/** NIST AAL of a Watashi authentication level, from the table. */
export function nistAalOf(aal: Aal): NistAal {
  return aal === 0 ? 'none' : authenticationRow(aal).nist;
}

/** NIST FAL of a federation level. */
export function nistFalOf(fal: Fal): NistFal {
  return (ASSURANCE_TABLE.federation[fal - 1] as FederationRow).nist;
}

/** eIDAS level of a login: the lower of the two elements, or null (Implementing Regulation 2015/1502, Annex). */
export function eidasOf(ial: Ial, aal: Aal): EidasLoa | null {
  if (ial === 0 || aal === 0) return null;
  return minEidas(identityProofingRow(ial).eidas, authenticationRow(aal).eidas);
}

/** The table serialised for `GET /.well-known/watashi-assurance` (stable key order, 2-space indent). */
export function assuranceTableJson(): string {
  return JSON.stringify(ASSURANCE_TABLE, null, 2);
}

function mdCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Human-readable rendering (Markdown, bilingual) for the docs and the wallet. */
export function assuranceTableMarkdown(): string {
  const t = ASSURANCE_TABLE;
  const f = t.frameworks;
  const out: string[] = [
    `# Watashi assurance levels / 保証レベル対応表 (version ${t.version}, ${t.date})`,
    '',
    `Canonical scale: ${f.jp.title} (${f.jp.version}). Mapped to ${f.nist.title} (${f.nist.date}) and ${f.eidas.title}.`,
    '',
    ...t.notes.flatMap((n) => [`- ${n.en}`, `  ${n.ja}`]),
    '',
    '## 身元確認保証レベル / Identity proofing',
    '',
    mdTable(
      ['Level', '名称', 'Name', 'Watashi', 'NIST', 'eIDAS', 'Source'],
      t.identityProofing.map((r) => [
        `JP IAL${r.level}`,
        r.nameJa,
        r.nameEn,
        r.watashi,
        r.nist,
        r.eidas,
        r.source,
      ]),
    ),
    '',
    '## 当人認証保証レベル / Authentication',
    '',
    mdTable(
      ['Level', '名称', 'Name', 'Watashi', 'NIST', 'eIDAS', 'Reauthenticate within', 'Source'],
      t.authentication.map((r) => [
        `JP AAL${r.level}`,
        r.nameJa,
        r.nameEn,
        r.watashi,
        r.nist,
        r.eidas,
        `${r.reauthenticationSeconds / 3600} h`,
        r.source,
      ]),
    ),
    '',
    '## Mapping notes',
    '',
    ...t.identityProofing.map((r) => `- JP IAL${r.level} → ${r.nist} / eIDAS ${r.eidas}: ${r.mappingNote}`),
    ...t.authentication.map((r) => `- JP AAL${r.level} → ${r.nist} / eIDAS ${r.eidas}: ${r.mappingNote}`),
    '',
    '## Federation',
    '',
    mdTable(
      ['Level', 'Name', 'Issued by Watashi', 'How', 'NIST', 'Source'],
      t.federation.map((r) => [
        `FAL${r.level}`,
        r.nameEn,
        r.issuedByWatashi ? 'yes' : 'no',
        r.watashi,
        r.nist,
        r.source,
      ]),
    ),
    '',
    '## acr values',
    '',
    `Pattern: \`${t.acrScheme.watashiPattern}\`, identity-free: \`${t.acrScheme.identityFreePattern}\`.`,
    '',
    t.acrScheme.orderingEn,
    '',
    t.acrScheme.orderingJa,
    '',
    mdTable(
      ['acr', 'IAL', 'AAL', 'NIST', 'eIDAS', 'Meaning', 'Source'],
      t.acrValues.map((r) => [
        `\`${r.value}\``,
        String(r.ial),
        String(r.aal),
        `${r.nist.ial} / ${r.nist.aal}`,
        r.eidas ?? 'none',
        r.meaningEn,
        r.source,
      ]),
    ),
    '',
    '## Sources',
    '',
    ...[f.jp, f.nist, f.eidas].map((x) => `- ${x.title} — ${x.issuer}, ${x.version}. ${x.url}. ${x.note}`),
    '',
  ];
  return out.join('\n');
}

function esc(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function htmlTable(caption: string, header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = `<tr>${header.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<caption>${esc(caption)}</caption>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** Human-readable rendering as an HTML fragment (every value escaped), for the verifier and docs pages. */
export function assuranceTableHtml(): string {
  const t = ASSURANCE_TABLE;
  return [
    `<section lang="ja" class="watashi-assurance" data-version="${esc(t.version)}">`,
    `<h1>保証レベル対応表 / Assurance levels (${esc(t.version)}, ${esc(t.date)})</h1>`,
    '<ul>',
    ...t.notes.map((n) => `<li>${esc(n.ja)}<br><span lang="en">${esc(n.en)}</span></li>`),
    '</ul>',
    htmlTable(
      '身元確認保証レベル / Identity proofing',
      ['Level', '名称', 'NIST', 'eIDAS', 'Watashi', 'Source'],
      t.identityProofing.map((r) => [`JP IAL${r.level}`, r.nameJa, r.nist, r.eidas, r.watashi, r.source]),
    ),
    htmlTable(
      '当人認証保証レベル / Authentication',
      ['Level', '名称', 'NIST', 'eIDAS', 'Watashi', 'Source'],
      t.authentication.map((r) => [`JP AAL${r.level}`, r.nameJa, r.nist, r.eidas, r.watashi, r.source]),
    ),
    htmlTable(
      'Federation',
      ['Level', 'NIST', 'Issued', 'Watashi', 'Source'],
      t.federation.map((r) => [
        `FAL${r.level}`,
        r.nist,
        r.issuedByWatashi ? 'yes' : 'no',
        r.watashi,
        r.source,
      ]),
    ),
    htmlTable(
      'acr',
      ['acr', 'IAL', 'AAL', 'eIDAS', 'Meaning'],
      t.acrValues.map((r) => [r.value, String(r.ial), String(r.aal), r.eidas ?? 'none', r.meaningEn]),
    ),
    '</section>',
    '',
  ].join('\n');
}
