// The configuration of several instances (issue 14, docs/scaling.md): the `database` section and
// `keyStore.refreshSeconds`, with their defaults and refusals.
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

  it('fail-bad-values-are-config_invalid', () => {
    for (const bad of [
      { database: { preparedStatements: 'no' } },
      { database: { poolMax: 0 } },
      { database: { pooler: 'pgbouncer' } },
      { keyStore: { kind: 'local', refreshSeconds: 0 } },
    ])
      expect(() => parsePlatformConfig(bad)).toThrow(expect.objectContaining({ code: 'config_invalid' }));
  });
});
