#!/usr/bin/env node
// The `watashi` command. Watashi runs on Node 24: started by an older `node` (a machine's system
// Node through a shell or npx), it runs itself again on the project's own runtime, the exact-pinned
// node-linux-<arch> package that npm installed beside it (package.json optionalDependencies).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const NEEDED_MAJOR = 24;
if (Number(process.versions.node.split('.')[0]) < NEEDED_MAJOR) {
  let runtime;
  try {
    const require = createRequire(import.meta.url);
    runtime = join(
      dirname(require.resolve(`node-${process.platform}-${process.arch}/package.json`)),
      'bin',
      'node',
    );
  } catch {
    process.stderr.write(
      `watashi: needs Node.js ${NEEDED_MAJOR} (this is ${process.version}) and found no project runtime; run npm ci\n`,
    );
    process.exit(1);
  }
  const r = spawnSync(runtime, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  if (r.error) {
    process.stderr.write(`watashi: could not start ${runtime}: ${r.error.message}\n`);
    process.exit(1);
  }
  process.exit(r.status ?? 1);
}
// Source is TypeScript, run through tsx's loader (no build step).
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
