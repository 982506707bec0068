/**
 * `npm run example:rp`: reads the configuration from the environment (config.ts), starts the
 * example relying party and prints where to open it. Stops on Ctrl-C.
 */
import { ConfigError, readConfig } from './config.ts';
import { startRelyingParty } from './server.ts';

let config;
try {
  config = readConfig(process.env);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`${e.message}\nSee examples/rp/README.md.\n`);
  process.exit(2);
}
const rp = await startRelyingParty(config);
process.stdout.write(
  `Example RP for ${config.issuer.href} (client ${config.clientId})\n` +
    `  open ${config.redirectUri.origin}/ in a browser (listening on ${rp.url})\n`,
);
const stop = (): void => {
  void rp.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
