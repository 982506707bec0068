// The CLI loads the J-LIS simulator only for `watashi sim …`: every other command (and the help)
// starts without importing @watashi/jlis-sim. A child process records every module it resolves.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'watashi-cli-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const probe = join(dir, 'probe.mjs');
writeFileSync(
  probe,
  `import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    if (r.url.includes('/jlis-sim/')) loaded.push(r.url);
    return r;
  },
});
const { main } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../src/main.ts')).href)});
const code = await main(['node', 'watashi', ...process.argv.slice(2)]);
process.stderr.write('\\nPROBE ' + JSON.stringify({ code, loaded: loaded.length }) + '\\n');
`,
);

/** Runs `watashi …argv` in a child; the exit code and how many simulator modules it resolved. */
function modulesOfSimLoadedBy(...argv: string[]): { code: number; loaded: number; stdout: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', probe, ...argv], {
    cwd: join(import.meta.dirname, '..'),
    encoding: 'utf8',
  });
  const line = /PROBE (\{.*\})/.exec(r.stderr)?.[1];
  if (line === undefined) throw new Error(`probe failed: ${r.stderr}`);
  return { ...(JSON.parse(line) as { code: number; loaded: number }), stdout: r.stdout };
}

describe('watashi loads the simulator only for sim commands', () => {
  it('ok-help-and-other-commands-do-not-import-jlis-sim-but-still-list-sim', () => {
    const help = modulesOfSimLoadedBy('--help');
    expect(help.code).toBe(0);
    expect(help.loaded).toBe(0);
    expect(help.stdout).toMatch(/^ {2}sim\b.*J-LIS simulator/m);
    const keys = modulesOfSimLoadedBy('keys', '--help');
    expect(keys).toMatchObject({ code: 0, loaded: 0 });
  });

  it('ok-sim-commands-load-it', () => {
    const sim = modulesOfSimLoadedBy('sim', '--help');
    expect(sim.code).toBe(0);
    expect(sim.loaded).toBeGreaterThan(0);
    expect(sim.stdout).toMatch(/^ {2}serve\b/m);
  });
});
