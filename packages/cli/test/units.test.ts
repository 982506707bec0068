// Unit checks of the CLI's small pieces: exit codes, column layout, option parsers.
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../src/exit-codes.ts';
import { columns, displayWidth } from '../src/output.ts';
import { integerIn, isoDate, isoMonth, parseSimUrl } from '../src/options.ts';

describe('exitCodeFor', () => {
  it('ok-maps-codes-of-every-package', () => {
    const cases: Array<[string | undefined, number]> = [
      [undefined, EXIT.failure],
      ['card_pin_incorrect', EXIT.pin],
      ['card_pin_blocked', EXIT.pin],
      ['card_pin_required', EXIT.pin],
      ['pin_incorrect', EXIT.pin],
      ['card_pin_format', EXIT.badInput],
      ['pin_format', EXIT.badInput],
      ['resident_not_found', EXIT.notFound],
      ['card_not_found', EXIT.notFound],
      ['input_not_found', EXIT.notFound],
      // @watashi/signature: the report's code decides `watashi verify`'s exit.
      ['signature_malformed', EXIT.badInput],
      ['signature_not_found', EXIT.notFound],
      ['signature_document_altered', EXIT.verification],
      ['signature_certificate_revoked', EXIT.verification],
      ['signature_revocation_unknown', EXIT.verification],
      ['signature_timestamp_untrusted', EXIT.verification],
      ['signature_timestamp_unavailable', EXIT.unreachable],
      ['signature_evidence_unavailable', EXIT.unreachable],
      ['request_invalid', EXIT.badInput],
      ['config_invalid', EXIT.badInput],
      ['invalid_arguments', EXIT.badInput],
      ['der_malformed', EXIT.badInput],
      ['signature_invalid', EXIT.verification],
      ['crl_signature_invalid', EXIT.verification],
      ['audit_chain_mismatch', EXIT.verification],
      ['sim_unreachable', EXIT.unreachable],
      ['card_transport_failed', EXIT.unreachable],
      ['http_502', EXIT.unreachable],
      ['smartphone_already_issued', EXIT.conflict],
      ['resident_not_living', EXIT.conflict],
      ['no_active_card', EXIT.conflict],
      ['signing_certificate_absent', EXIT.conflict],
      ['data_dir_locked', EXIT.conflict],
      ['sim_port_in_use', EXIT.conflict],
      ['account_id_invalid', EXIT.badInput],
      ['account_reason_invalid', EXIT.badInput],
      ['account_not_found', EXIT.notFound],
      ['account_already_closed', EXIT.conflict],
      ['account_already_suspended', EXIT.conflict],
      ['account_resume_refused', EXIT.conflict],
      ['account_hold_resume_refused', EXIT.conflict],
      ['account_close_refused', EXIT.conflict],
      ['internal_error', EXIT.failure],
      // Done, but J-LIS left provisions for the retry job (issue 21).
      ['sweep_provisions_deferred', EXIT.deferred],
      ['sweep_interrupted', EXIT.failure],
    ];
    for (const [code, exit] of cases) expect(exitCodeFor(code), code).toBe(exit);
  });
});

describe('columns', () => {
  it('ok-aligns-japanese-as-two-columns', () => {
    expect(displayWidth('山田\u3000花子')).toBe(10);
    expect(displayWidth('ＡＢ１')).toBe(6);
    expect(displayWidth('abc')).toBe(3);
    expect(
      columns(
        ['NAME', 'ID'],
        [
          ['山田', 'r-1'],
          ['Li', 'r-2'],
        ],
      ),
    ).toBe('NAME  ID\n山田  r-1\nLi    r-2');
  });
});

describe('option parsers', () => {
  it('ok-and-fail', () => {
    expect(integerIn(0, 10)('7')).toBe(7);
    for (const bad of ['11', '-1', '1.5', 'x', ''])
      expect(() => integerIn(0, 10)(bad)).toThrow(/integer from 0 to 10/);
    expect(isoDate('2024-02-29')).toBe('2024-02-29');
    for (const bad of ['2023-02-29', '2024-2-1', '2024-13-01'])
      expect(() => isoDate(bad)).toThrow(/YYYY-MM-DD/);
    expect(isoMonth('2024-12')).toBe('2024-12');
    expect(() => isoMonth('2024-00')).toThrow(/YYYY-MM/);
    expect(parseSimUrl('https://sim.example/base')).toBe('https://sim.example/base');
    expect(() => parseSimUrl('localhost:8790')).toThrow(/http or https/);
    expect(() => parseSimUrl('not a url')).toThrow(/not a URL/);
  });
});
