import type { Migration } from 'kysely/migration';
import * as m0001 from './0001-initial.ts';
import * as m0002 from './0002-enrolment-documents.ts';
import * as m0003 from './0003-oidc.ts';
import * as m0004 from './0004-lifecycle.ts';
import * as m0005 from './0005-personas.ts';
import * as m0006 from './0006-rp-events.ts';
import * as m0007 from './0007-fee-ledger.ts';
import * as m0008 from './0008-sweep-coverage.ts';
import * as m0009 from './0009-oidc-fillfactor.ts';
import * as m0010 from './0010-drop-anchors-sweep-idx.ts';
import * as m0013 from './0013-enrolment-completion.ts';
import * as m0013a from './0013a-audit-time-precision.ts';
import * as m0014 from './0014-sweep-provisions.ts';
import * as m0015 from './0015-drop-jobs.ts';
import * as m0016 from './0016-devices.ts';
import * as m0018 from './0018-ciba.ts';
import * as m0019 from './0019-account-pages.ts';
import * as m0020 from './0020-credentials.ts';
import * as m0021 from './0021-signature-archive.ts';
import * as m0022 from './0022-signing-preparations.ts';
import * as m0023 from './0023-cross-device.ts';
import * as m0024 from './0024-session-cross-device.ts';
import * as m0025 from './0025-ciba-polling.ts';

/**
 * Every migration, by name, in the order they apply (Kysely sorts by name; the four-digit prefix
 * makes that the numeric order). Append a new `NNNN-what.ts` module here; never rename, edit or
 * remove one that has shipped — the database records names, and `migrateToLatest` refuses to run
 * against a database holding names this list lacks.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': m0001,
  '0002-enrolment-documents': m0002,
  '0003-oidc': m0003,
  '0004-lifecycle': m0004,
  '0005-personas': m0005,
  '0006-rp-events': m0006,
  '0007-fee-ledger': m0007,
  '0008-sweep-coverage': m0008,
  '0009-oidc-fillfactor': m0009,
  '0010-drop-anchors-sweep-idx': m0010,
  '0013-enrolment-completion': m0013,
  '0013a-audit-time-precision': m0013a,
  '0014-sweep-provisions': m0014,
  '0015-drop-jobs': m0015,
  '0016-devices': m0016,
  '0018-ciba': m0018,
  '0019-account-pages': m0019,
  '0020-credentials': m0020,
  '0021-signature-archive': m0021,
  '0022-signing-preparations': m0022,
  '0023-cross-device': m0023,
  '0024-session-cross-device': m0024,
  '0025-ciba-polling': m0025,
};
