/**
 * The simulator's domain API (`sim.*`): everything the HTTP routes expose, callable in-process by
 * tests and by `npm start`. Mutating operations run one at a time (a promise queue), so async key
 * generation inside one operation never interleaves with another's state changes.
 */
import { defaultKeySource, type KeySource } from './keys.ts';
import { fromBase64 } from '@watashi/pki';
import pino, { type Logger } from 'pino';
import { allCas, caOf, loadOrCreateCas, PURPOSES } from './ca.ts';
import { HostedCards } from './cards.ts';
import { clockFromConfig, type Clock } from './clock.ts';
import { parseConfig, type SimConfig, type SimConfigInput } from './config.ts';
import {
  inquireConsent,
  provideLatestBasic4,
  recordConsent,
  withdrawConsent,
  type ProvisionResult,
} from './consent.ts';
import type { SimContext } from './context.ts';
import { currentCrl, publishAllCrls } from './crl.ts';
import { simError } from './errors.ts';
import { applyLifeEvent, type LifeEventInput } from './events.ts';
import { feeReport, recordFee, type FeeReport } from './fees.ts';
import { issueCard, issueDevice, type IssueCardOptions, type IssuedToken } from './issuance.ts';
import type { ConsentRecord, EventRecord, Purpose, SimState } from './model.ts';
import { OcspResponder, type OcspAnswer } from './ocsp.ts';
import { createRandom, randomSeed, seedState } from './random.ts';
import type { ResidentInput } from './residents/generate.ts';
import {
  addResident,
  certView,
  residentOf,
  residentView,
  type CertView,
  type ResidentView,
} from './residents/registry.ts';
import { Store } from './store.ts';

/** `GET /info`: where everything is. */
export interface InfoDocument {
  readonly simulator: true;
  readonly organization: 'JPKI-SIM';
  readonly baseUrl: string;
  readonly ocspUrl: string;
  readonly ocspRefreshSeconds: number;
  readonly ocspRefreshedAt: string;
  readonly crlIntervalSeconds: number;
  readonly operatorIdentification: string;
  readonly crls: ReadonlyArray<{
    purpose: Purpose;
    generation: string;
    url: string;
    crlNumber?: string | undefined;
    thisUpdate?: string | undefined;
    nextUpdate?: string | undefined;
  }>;
  readonly caCertificates: ReadonlyArray<{
    purpose: Purpose;
    generation: string;
    url: string;
    sha256: string;
    serial: string;
    notBefore: string;
    notAfter: string;
  }>;
}

/** Options not in the configuration file: injected clock, logger and key source. */
export interface SimulatorOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Where the default logger writes: 1 (stdout, the default) or 2 (stderr, when stdout carries data). */
  readonly logFd?: 1 | 2;
  /** Where RSA-2048 keys come from; default: keys.ts `defaultKeySource()` (fresh generation). */
  readonly keys?: KeySource;
}

function freshState(seed: string): SimState {
  const rnd = createRandom(seedState(seed));
  // docs/jpki.md §1.1: small sequential positive serials in a ~32-bit space; the base is
  // drawn from the seed so runs with the same seed number certificates identically.
  const base = 0x01000000 + rnd.int(0x00f00000);
  return {
    version: 1,
    seed,
    random: rnd.state(),
    nextSerial: String(base),
    cas: [],
    residents: {},
    certificates: {},
    tokens: {},
    consents: {},
    events: [],
    fees: [],
  };
}

/** The simulator domain. */
export class Simulator {
  /** Hosted cards and devices. */
  readonly cards: HostedCards;
  /** The OCSP responder. */
  readonly ocsp: OcspResponder;
  /** Public base URL used in /info (set by `listen`). */
  baseUrl: string;
  private queue: Promise<unknown> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private closed = false;

  private constructor(
    /** The shared context (configuration, clock, state, CAs). */
    readonly ctx: SimContext,
  ) {
    this.cards = new HostedCards(ctx);
    this.ocsp = new OcspResponder(ctx);
    this.baseUrl = ctx.config.publicUrl ?? `http://${ctx.config.host}:${ctx.config.port}`;
  }

  /** Opens the data dir (lock), loads or creates the state and CAs, publishes CRLs if due, refreshes OCSP. */
  static async open(input: SimConfigInput | SimConfig, o: SimulatorOptions = {}): Promise<Simulator> {
    const config = parseConfig(input);
    const log =
      o.logger ??
      pino(
        { name: 'jlis-sim', level: config.logLevel },
        pino.destination({ dest: o.logFd ?? 1, sync: false }),
      );
    const store = Store.open(config.dataDir);
    try {
      const loaded = store.load();
      const state = loaded ?? freshState(config.seed ?? randomSeed());
      if (loaded && config.seed !== undefined && config.seed !== loaded.seed) {
        log.warn({ stored: loaded.seed }, 'data dir was created with another seed; the stored state wins');
      }
      const ctx: SimContext = {
        config,
        clock: o.clock ?? clockFromConfig(config.clock),
        rnd: createRandom(state.random, false),
        store,
        state,
        log,
        keys: o.keys ?? defaultKeySource(),
        cas: new Map(),
        save: () => store.save(state),
        saveSoon: () => store.saveSoon(state),
      };
      await loadOrCreateCas(ctx);
      const sim = new Simulator(ctx);
      if (!loaded) await sim.populate(config.initialResidents);
      const now = ctx.clock.now().getTime();
      if (allCas(ctx).some((c) => !c.record.crl || Date.parse(c.record.crl.nextUpdate) <= now))
        await publishAllCrls(ctx);
      sim.ocsp.refresh();
      if (config.schedule) sim.startTimers();
      return sim;
    } catch (e) {
      store.close();
      throw e;
    }
  }

  /** The configuration in force. */
  get config(): SimConfig {
    return this.ctx.config;
  }

  /** The simulator clock. */
  get clock(): Clock {
    return this.ctx.clock;
  }

  private exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async populate(n: number): Promise<void> {
    // Half from the oldest generation still valid now (an expired one, like 2015, would give
    // only expired certificates), so that it keeps live certificates of its own.
    const now = this.ctx.clock.now().getTime();
    const valid = allCas(this.ctx).filter(
      (c) =>
        c.purpose === 'sign' &&
        c.certificate.notBefore.getTime() <= now &&
        now <= c.certificate.notAfter.getTime(),
    );
    const oldest = valid[0]?.generation;
    const newest = valid.at(-1)?.generation;
    for (let i = 0; i < n; i++) {
      const r = addResident(this.ctx);
      await issueCard(this.ctx, r.id, { generation: i % 2 === 0 ? oldest : newest });
    }
  }

  private startTimers(): void {
    const crl = setInterval(() => {
      void this.publishCrls().catch((e: unknown) =>
        this.ctx.log.error({ err: e }, 'scheduled CRL publication failed'),
      );
    }, this.ctx.config.crlIntervalSeconds * 1000);
    const ocsp = setInterval(() => this.refreshOcsp(), this.ctx.config.ocspRefreshSeconds * 1000);
    crl.unref();
    ocsp.unref();
    this.timers.push(crl, ocsp);
  }

  /** Where everything is (the `/info` document). */
  info(): InfoDocument {
    const b = this.baseUrl;
    const cas = allCas(this.ctx);
    return {
      simulator: true,
      organization: 'JPKI-SIM',
      baseUrl: b,
      ocspUrl: `${b}/ocsp`,
      ocspRefreshSeconds: this.ctx.config.ocspRefreshSeconds,
      ocspRefreshedAt: this.ocsp.refreshedAt.toISOString(),
      crlIntervalSeconds: this.ctx.config.crlIntervalSeconds,
      operatorIdentification: 'X-Operator-Id header, or the user name of HTTP basic authentication',
      crls: cas.map((c) => ({
        purpose: c.purpose,
        generation: c.generation,
        url: `${b}/crl/${c.purpose}/${c.generation}.crl`,
        crlNumber: c.record.crl?.number,
        thisUpdate: c.record.crl?.thisUpdate,
        nextUpdate: c.record.crl?.nextUpdate,
      })),
      caCertificates: cas.map((c) => ({
        purpose: c.purpose,
        generation: c.generation,
        url: `${b}/ca/${c.purpose}/${c.generation}.cer`,
        sha256: c.sha256,
        serial: c.record.serial,
        notBefore: c.record.notBefore,
        notAfter: c.record.notAfter,
      })),
    };
  }

  /** Adds a resident (fields generated when omitted). */
  addResident(given: Partial<ResidentInput> = {}): Promise<ResidentView> {
    return this.exclusive(() => residentView(this.ctx, addResident(this.ctx, given)));
  }

  /** All residents. */
  listResidents(): ResidentView[] {
    return Object.values(this.ctx.state.residents).map((r) => residentView(this.ctx, r));
  }

  /** One resident. */
  resident(id: string): ResidentView {
    return residentView(this.ctx, residentOf(this.ctx, id));
  }

  /** Issues a card (and optionally a smartphone). */
  issueCard(
    residentId: string,
    o: IssueCardOptions = {},
  ): Promise<{ card: IssuedToken; device?: IssuedToken | undefined }> {
    return this.exclusive(() => issueCard(this.ctx, residentId, o));
  }

  /** Sets up a smartphone (refused while one is live unless `replace`). */
  issueDevice(
    residentId: string,
    o: {
      kind: 'android' | 'ios';
      signPin?: string | undefined;
      authPin?: string | undefined;
      replace?: boolean | undefined;
    },
  ): Promise<IssuedToken> {
    return this.exclusive(() => issueDevice(this.ctx, residentId, o));
  }

  /** Applies a life event. */
  lifeEvent(residentId: string, e: LifeEventInput): Promise<EventRecord> {
    return this.exclusive(() => applyLifeEvent(this.ctx, residentId, e));
  }

  /** The event log, optionally of one resident. */
  events(residentId?: string): EventRecord[] {
    return this.ctx.state.events.filter((e) => residentId === undefined || e.residentId === residentId);
  }

  /** Publishes a CRL for every CA now. */
  publishCrls(): Promise<
    Array<{ purpose: Purpose; generation: string; crlNumber: string; entries: number }>
  > {
    return this.exclusive(() => publishAllCrls(this.ctx));
  }

  /** Refreshes the OCSP snapshot now. */
  refreshOcsp(): { refreshedAt: string; nextUpdate: string } {
    this.ocsp.refresh();
    return {
      refreshedAt: this.ocsp.refreshedAt.toISOString(),
      nextUpdate: this.ocsp.nextUpdate.toISOString(),
    };
  }

  /** A CA certificate (DER). */
  caCertificate(purpose: Purpose, generation: string): Uint8Array {
    return caOf(this.ctx, purpose, generation).der;
  }

  /** The last published CRL of a CA (DER); counted (free) in the fee meter. */
  crl(purpose: Purpose, generation: string, operatorId: string, checkPurpose: string): Uint8Array {
    const der = currentCrl(this.ctx, caOf(this.ctx, purpose, generation));
    recordFee(this.ctx, operatorId, checkPurpose, 'crl');
    return der;
  }

  /** Answers an OCSP request. */
  ocspRespond(der: Uint8Array, operatorId: string, checkPurpose: string): Promise<OcspAnswer> {
    return this.ocsp.respond(der, operatorId, checkPurpose);
  }

  /** A certificate issued by the simulator: DER and status (CA view, not the published one). */
  certificate(serial: string): { der: Uint8Array; view: CertView } {
    const c = this.ctx.state.certificates[serial];
    if (!c) throw simError('certificate_not_found', `no certificate with serial ${serial}`);
    return { der: fromBase64(c.der), view: certView(c) };
  }

  /** Records a signed consent (docs/jpki.md §4.2). */
  recordConsent(operatorId: string, cms: Uint8Array): Promise<ConsentRecord> {
    return this.exclusive(() => recordConsent(this.ctx, operatorId, cms));
  }

  /** A consent as seen by its operator. */
  consent(operatorId: string, id: string): ConsentRecord {
    return inquireConsent(this.ctx, operatorId, id);
  }

  /** Withdraws a consent (signed). */
  withdrawConsent(operatorId: string, id: string, cms: Uint8Array): Promise<ConsentRecord> {
    return this.exclusive(() => withdrawConsent(this.ctx, operatorId, id, cms));
  }

  /** Latest basic 4 information by a revoked signing certificate's serial. */
  latestBasic4(operatorId: string, q: { serial: string; consentId?: string | undefined }): ProvisionResult {
    return provideLatestBasic4(this.ctx, operatorId, q);
  }

  /** Fee report. */
  fees(filter: { month?: string | undefined; operatorId?: string | undefined } = {}): FeeReport {
    return feeReport(this.ctx, filter);
  }

  /** Hosted card operations, serialized with other mutations. */
  cardOp<T>(fn: (cards: HostedCards) => Promise<T> | T): Promise<T> {
    return this.exclusive(() => fn(this.cards));
  }

  /** Stops timers, flushes the state and releases the data dir. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.queue;
    this.ctx.store.close(this.ctx.state);
  }
}

export { PURPOSES };
