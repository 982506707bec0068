/**
 * The JSON the wallet's APIs answer with, as TypeScript types, for the wallet (packages/wallet)
 * to import with `import type … from '@watashi/platform/wallet-api'`. Type-only: nothing here
 * reaches the wallet's bundle. Views the routes return as they are are re-exported; the rest are
 * written as the JSON on the wire (dates as ISO strings).
 */
import type { NoticeView } from '../lifecycle/events/admin.ts';
import type { ConsentView } from '../oidc/consents.ts';
import type { DisclosureView } from '../oidc/disclosures.ts';
import type { Persona } from '../oidc/personas.ts';
import type { WatashiClaim } from '../oidc/claims.ts';
import type { AuthenticatorView } from '../authn/passkeys.ts';
import type { EnrolmentDocument } from '../enrolment/document.ts';
import type { ActiveSessionView, SignInView, SignOutResult } from '../me/sessions.ts';
import type { DeviceView, IssuedDevice } from '../devices/service.ts';
import type { PreparedSigningJson, SignedDocumentJson, SignerView } from '../signature/sign.ts';

export type { DeviceView, IssuedDevice };
export type { AuthenticatorView, ConsentView, DisclosureView, EnrolmentDocument, NoticeView, WatashiClaim };
/** The signing API (signature/sign.ts): what the card signs, and the signed file. */
export type { PreparedSigningJson, SignedDocumentJson, SignerView };
/** A persona as `/api/me/personas` lists it. */
export type PersonaView = Persona;

/** An RFC 9457 problem document as the platform answers it (server/problem.ts). */
export interface ProblemJson {
  readonly type?: string;
  readonly title?: string;
  readonly status: number;
  readonly detail?: string;
  /** The stable error code the wallet maps to a sentence. */
  readonly code: string;
  readonly [extension: string]: unknown;
}

/** `GET /api/me` (platform.ts). */
export interface MeJson {
  readonly account: {
    readonly id: string;
    readonly status: 'live' | 'needs_reproofing' | 'suspended' | 'closed' | (string & {});
    readonly statusChangedAt: string;
    readonly createdAt: string;
    readonly proofingMethod: string | null;
    readonly proofedAt: string | null;
  };
  readonly identityProofing: {
    readonly level: number;
    readonly reasons: ReadonlyArray<{ readonly code: string; readonly ja: string; readonly en: string }>;
    readonly reproofingWouldHelp: boolean;
    readonly evidenceCheckedAt: string | null;
  };
  readonly anchor: {
    readonly purpose: 'sign' | 'auth' | (string & {});
    readonly variant: string;
    readonly status: 'good' | 'revoked' | 'hold' | 'expired' | 'unknown' | (string & {});
    readonly notAfter: string;
  } | null;
  readonly authenticators: ReadonlyArray<{
    readonly id: string;
    readonly type: AuthenticatorView['type'];
    readonly label: string | null;
    readonly createdAt: string;
    readonly lastUsedAt: string | null;
    readonly level: number;
    readonly amr: readonly string[];
  }>;
  readonly session: {
    readonly id: string;
    readonly authTime: string;
    readonly acr: string | null;
    readonly amr: readonly string[];
    readonly authenticatorId: string | null;
  };
}

/** `GET /api/me/attributes` (platform.ts): the resident's own verified basic 4 information. */
export interface AttributesJson {
  readonly verified: {
    readonly name: string;
    readonly address: string;
    /** `YYYY-MM-DD` (Gregorian), as read from the card. */
    readonly dateOfBirth: string;
    /** The era digit of the card's date of birth (1 明治 … 5 令和; 0 unknown). */
    readonly era: number;
    /** 1 male, 2 female, 3 not known (docs/jpki.md §1.4). */
    readonly sex: string;
    readonly substituteCharacters: boolean;
    readonly verifiedAt: string | null;
    readonly lastCheckedAt: string | null;
  } | null;
}

/** `GET /api/me/notices`. */
export interface NoticesJson {
  readonly notices: readonly NoticeView[];
}

/** `GET /api/me/personas`. */
export interface PersonasJson {
  readonly personas: readonly PersonaView[];
  readonly max: number;
}

/** The body of `POST /api/me/personas` and `PATCH /api/me/personas/:id`. */
export interface PersonaInput {
  readonly name: string;
  readonly claims: readonly WatashiClaim[];
  readonly residence?: 'prefecture' | 'municipality';
}

/** `GET /api/me/consents`. */
export interface ConsentsJson {
  readonly consents: readonly ConsentView[];
}

/** `GET /api/me/disclosures?limit=&before=`. */
export interface DisclosuresJson {
  readonly disclosures: readonly DisclosureView[];
  readonly next: string | null;
}

/** `GET /api/authn/authenticators`. */
export interface AuthenticatorsJson {
  readonly authenticators: readonly AuthenticatorView[];
}

/** `POST /api/enrolments` (enrolment/routes.ts). */
export interface IssuedEnrolmentJson {
  readonly id: string;
  readonly document: { readonly bytes: string; readonly rendering: string };
  /** The consent to latest-basic-4 provision, when asked for (base64 of the exact bytes). */
  readonly consentDocument?: string;
  readonly expiresAt: string;
}

/** `POST /api/enrolments/:id/complete`. */
export interface CompletedEnrolmentJson {
  readonly accountId: string;
  readonly created: boolean;
  readonly proofingLevel: number;
  readonly consentId?: string;
}

/** `POST /api/authn/passkeys/login`. */
export interface PasskeyLoginJson {
  readonly accountId: string;
  readonly authenticatorId: string;
  readonly acr: string;
  readonly amr: readonly string[];
}

/** The security page's views (me/sessions.ts): a sign-in, a live session, a sign-out's counts. */
export type { ActiveSessionView, SignInView, SignOutResult };

/** `GET /api/me/sign-ins?limit=&before=` (me/routes.ts). */
export interface SignInsJson {
  readonly signIns: readonly SignInView[];
  readonly next: string | null;
}

/** `GET /api/me/sessions` (me/routes.ts). */
export interface SessionsJson {
  readonly sessions: readonly ActiveSessionView[];
}
/** The OpenID Provider's interaction API (oidc/interaction-api.ts): consent and step-up pages. */
export type { ConsentDetailsJson, LoginDetailsJson } from '../oidc/interaction-api.ts';
export type { StepUpView, StepUpWay } from '../authn/step-up.ts';
export type { ClaimValueView, ConsentOptionView } from '../oidc/consent-view.ts';

/** `GET /api/devices` (devices/routes.ts). */
export interface DevicesJson {
  readonly devices: readonly DeviceView[];
}

/** `GET /api/devices/certificates/:serial/status` (public: what a device asks when it starts). */
export interface DeviceStatusJson {
  readonly status: 'good' | 'hold' | 'revoked' | 'unknown';
  readonly reason?: string;
  readonly at?: string;
}

/** `POST /api/devices/login/options`. */
export interface DeviceLoginOptionsJson {
  readonly challenge: string;
  /** The bytes the device key signs (base64). */
  readonly message: string;
  readonly expiresAt: string;
}

import type { ApprovalView } from '../oidc/approvals.ts';
export type { ApprovalView };

/** `GET /api/approvals`: the pending out-of-band requests (CIBA, docs/approvals.md). */
export interface ApprovalsJson {
  readonly requests: readonly ApprovalView[];
}

import type { CrossDeviceStatus, CrossDeviceView } from '../oidc/cross-device.ts';
export type { CrossDeviceStatus, CrossDeviceView };

/** `POST /oidc/interaction/<uid>/cross-device`: the QR and the number the computer shows. */
export interface CrossDeviceStartJson {
  readonly id: string;
  readonly number: number;
  readonly qr: { readonly uri: string; readonly svg: string };
  readonly expiresAt: string;
}
