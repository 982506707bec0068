/**
 * `@watashi/jlis-sim` — the J-LIS simulator (docs/architecture.md §4). Development and test only.
 *
 * `createSimulator(config)` gives the domain API (`sim`, usable in-process) and the HTTP app;
 * `startSimulator(config)` also listens and prints the banner with every URL.
 */
import type { FastifyInstance } from 'fastify';
import { banner } from './banner.ts';
import type { SimConfig, SimConfigInput } from './config.ts';
import { buildApp } from './http/app.ts';
import { Simulator, type SimulatorOptions } from './simulator.ts';

export { Simulator, type InfoDocument, type SimulatorOptions } from './simulator.ts';
export { configSchema, parseConfig, configDocs, type SimConfig, type SimConfigInput } from './config.ts';
export { fixedClock, systemClock, offsetClock, type Clock, type ManualClock } from './clock.ts';
export { consentDocument, withdrawalDocument, jstDate, CONSENT_TYPE, WITHDRAWAL_TYPE } from './consent.ts';
export { EVENT_TYPES, type LifeEventInput, type LifeEventType } from './events.ts';
export type { SimErrorCode } from './errors.ts';
export type { IssuedToken, IssueCardOptions } from './issuance.ts';
export type { ResidentView, CertView, TokenView } from './residents/registry.ts';
export { banner } from './banner.ts';
export {
  cardKeyPair,
  defaultKeySource,
  freshKeys,
  keyPool,
  setDefaultKeySource,
  type KeySource,
} from './keys.ts';

/** A simulator with its HTTP app. */
export interface RunningSimulator {
  /** The Fastify app (not listening until `listen()`). */
  readonly app: FastifyInstance;
  /** The domain API. */
  readonly sim: Simulator;
  /** Listens on the configured host/port; returns the base URL (also set as `sim.baseUrl`). */
  listen(): Promise<string>;
  /** Closes the HTTP server and the simulator (flushes state, releases the data dir). */
  close(): Promise<void>;
}

/** Opens the simulator (data dir, CAs, CRLs, OCSP) and builds its HTTP app. */
export async function createSimulator(
  config: SimConfigInput | SimConfig,
  options: SimulatorOptions = {},
): Promise<RunningSimulator> {
  const sim = await Simulator.open(config, options);
  const app = buildApp(sim);
  let listening = false;
  return {
    app,
    sim,
    async listen() {
      await app.listen({ host: sim.config.host, port: sim.config.port });
      listening = true;
      const addr = app.server.address();
      if (addr && typeof addr === 'object' && sim.config.publicUrl === undefined) {
        const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        sim.baseUrl = `http://${host}:${addr.port}`;
      }
      return sim.baseUrl;
    },
    async close() {
      if (listening) await app.close();
      await sim.close();
    },
  };
}

/** Creates, listens and prints the banner (stderr) with every URL. */
export async function startSimulator(
  config: SimConfigInput | SimConfig,
  options: SimulatorOptions & { print?: (text: string) => void } = {},
): Promise<RunningSimulator> {
  const s = await createSimulator(config, options);
  try {
    await s.listen();
  } catch (e) {
    // A port in use must not leave the data directory locked (the caller never gets `s` to close).
    await s.close();
    throw e;
  }
  (options.print ?? ((t: string) => process.stderr.write(t)))(
    banner(s.sim.info(), s.sim.config.dataDir, s.sim.ctx.state.seed),
  );
  return s;
}
