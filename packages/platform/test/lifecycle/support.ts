/**
 * Test support for the lifecycle suites: residents of a real in-process J-LIS simulator enrolled
 * through the platform's own enrolment code (signatures made on hosted cards over HTTP), the
 * platform's HttpJpkiBackend, and the proofing level as /api/me computes it.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { fromBase64 } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { evaluateIdentityProofing, type AnchorCheckStatus } from '../../src/assurance/index.ts';
import { platformConfigSchema } from '../../src/config.ts';
import { completeEnrolment, issueEnrolment, type EnrolmentDeps } from '../../src/enrolment/index.ts';
import { createJpkiBackend } from '../../src/jlis/index.ts';
import type { SweepDeps } from '../../src/lifecycle/index.ts';
import type { Database } from '../../src/store/database.ts';
import type { Schema } from '../../src/store/schema.ts';
import { statusCheckedAt } from '../../src/lifecycle/coverage.ts';
import { memoryKeyStore, type CardHolder, type TestSim } from '../enrolment/support.ts';

/** The operator id the platform uses at the simulator. */
export const OPERATOR = 'watashi-lifecycle';

/** Enrolment and sweep deps over one database, on the simulator's clock plus `offsetMs`. */
export interface LifecycleDeps extends EnrolmentDeps, SweepDeps {
  /** Moves the platform's clock relative to the simulator's. */
  setOffset(ms: number): void;
}

/** Builds the deps a platform would have, on `database`. */
export function lifecycleDeps(sim: TestSim, trust: JpkiTrustStore, database: Database): LifecycleDeps {
  let offset = 0;
  const now = (): Date => new Date(sim.clock.now().getTime() + offset);
  const config = platformConfigSchema.parse({
    mode: 'simulation',
    jlis: { kind: 'simulator', url: sim.url, operatorId: OPERATOR },
    publicUrl: 'https://watashi.example',
  });
  return {
    config,
    database,
    db: database.db,
    keys: memoryKeyStore(),
    backend: createJpkiBackend(config.jlis!, { now }),
    trust,
    now,
    setOffset: (ms) => (offset = ms),
  };
}

/** Enrols `h` (with the latest-basic-4 consent when `consent`); returns the account id. */
export async function enrol(deps: EnrolmentDeps, h: CardHolder, consent = false): Promise<string> {
  const d = await issueEnrolment(deps, { purpose: 'enrolment', consent });
  const cms = await h.cms(fromBase64(d.document.bytes));
  const consentCms = consent ? await h.cms(fromBase64(d.consentDocument!)) : undefined;
  const r = await completeEnrolment(deps, {
    id: d.id,
    signature: { cms },
    ...(consentCms === undefined ? {} : { consentCms }),
  });
  return r.accountId;
}

/** The account's identity proofing level now, computed as GET /api/me does (platform.ts). */
export async function proofingLevel(db: Kysely<Schema>, accountId: string, now: Date): Promise<number> {
  const account = await db
    .selectFrom('accounts')
    .select(['status', 'proofed_at'])
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  const a = await db
    .selectFrom('anchors')
    .select(['purpose', 'status', 'revocation_reason', 'not_after'])
    .select(statusCheckedAt().as('status_checked_at'))
    .where('account_id', '=', accountId)
    .where('superseded_by', 'is', null)
    .where('purpose', '=', 'sign')
    .executeTakeFirst();
  const status: AnchorCheckStatus | undefined =
    a === undefined
      ? undefined
      : a.status === 'revoked'
        ? a.revocation_reason === 'certificateHold'
          ? 'hold'
          : 'revoked'
        : a.not_after.getTime() <= now.getTime()
          ? 'expired'
          : a.status === 'good'
            ? 'good'
            : 'unknown';
  return evaluateIdentityProofing(
    {
      ...(a === undefined || status === undefined
        ? {}
        : {
            anchor: {
              kind: 'jpki-sign',
              status,
              lastCheckedAt: a.status_checked_at,
              ...(a.revocation_reason === null ? {} : { reason: a.revocation_reason }),
            },
          }),
      reproofingRequired: account.status === 'needs_reproofing',
      ...(account.proofed_at === null ? {} : { proofedAt: account.proofed_at }),
    },
    now,
  ).level;
}

/** SHA-256 (hex) of bytes. */
export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
