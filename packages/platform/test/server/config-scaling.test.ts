// The configuration of several instances (issue 14, docs/scaling.md): the `database` section and
// `keyStore.refreshSeconds`, the `jobs` claims (a killed instance's sweep is resumed after them),
// with their defaults and refusals.
import { describe, expect, it } from 'vitest';
import { parsePlatformConfig } from '../../src/config.ts';

describe('scaling configuration', () => {
  it('ok-defaults-prepared-statements-startup-parameters-pool-and-refresh', () => {
    const c = parsePlatformConfig({});
    expect(c.database).toEqual({ preparedStatements: true, startupParameters: true, poolMax: 10 });
    expect(c.keyStore.refreshSeconds).toBe(60);
    expect(parsePlatformConfig({ keyStore: { kind: 'memory' } }).keyStore.refreshSeconds).toBe(60);
  });

  it('ok-pgbouncer-settings', () => {
    const c = parsePlatformConfig({ database: { preparedStatements: false, startupParameters: false } });
    expect(c.database).toEqual({ preparedStatements: false, startupParameters: false, poolMax: 10 });
  });

  it('ok-job-claims-default-and-set', () => {
    expect(parsePlatformConfig({}).jobs).toEqual({ claimSeconds: 60, superviseSeconds: 30 });
    expect(parsePlatformConfig({ jobs: { claimSeconds: 5 } }).jobs).toEqual({
      claimSeconds: 5,
      superviseSeconds: 30,
    });
  });

  it('fail-bad-values-are-config_invalid', () => {
    for (const bad of [
      { database: { preparedStatements: 'no' } },
      { database: { poolMax: 0 } },
      { database: { pooler: 'pgbouncer' } },
      { keyStore: { kind: 'local', refreshSeconds: 0 } },
      { jobs: { claimSeconds: 0 } },
      { jobs: { claimSeconds: 86_400 } },
      { jobs: { superviseSeconds: 0 } },
      { jobs: { claimSeconds: 1.5 } },
      { jobs: { leaseSeconds: 60 } },
    ])
      expect(() => parsePlatformConfig(bad)).toThrow(expect.objectContaining({ code: 'config_invalid' }));
  });
});
