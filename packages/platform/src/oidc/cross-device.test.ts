import { describe, expect, it } from 'vitest';
import { crossDeviceFacts, crossDeviceSigningInput, networkOf } from './cross-device.ts';

describe('networkOf: what the phone is told of where a sign-in came from', () => {
  it('ok-ipv4-is-its-slash-24-and-a-mapped-address-reads-as-ipv4', () => {
    expect(networkOf('203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('::ffff:198.51.100.9')).toBe('198.51.100.0/24');
  });
  it('ok-ipv6-is-its-slash-48-however-it-is-written', () => {
    expect(networkOf('2001:db8:1:2::5')).toBe('2001:db8:1::/48');
    expect(networkOf('2001:0db8:0001:0002:0000:0000:0000:0005')).toBe('2001:db8:1::/48');
    expect(networkOf('2001:db8::1')).toBe('2001:db8::/48');
    expect(networkOf('fe80::1%eth0')).toBe('fe80::/48');
    expect(networkOf('::1')).toBe('::/48');
    expect(networkOf('2001:0:5::9')).toBe('2001:0:5::/48');
  });
  it('err-not-an-address-is-unknown', () => {
    expect(networkOf(undefined)).toBeNull();
    expect(networkOf('localhost')).toBeNull();
    expect(networkOf('203.0.113')).toBeNull();
  });
});

describe('crossDeviceSigningInput and crossDeviceFacts', () => {
  it('ok-the-signed-text-names-request-rp-number-and-nonce-one-per-line', () => {
    expect(crossDeviceSigningInput({ id: 'r1', clientId: 'c1', number: 42, nonce: 'n1' })).toBe(
      'watashi-cross-device-login/1\nrequest=r1\nrp=c1\nnumber=42\nnonce=n1',
    );
  });
  it('ok-a-cross-device-approval-is-never-phishing-resistant', () => {
    expect(crossDeviceFacts(null).phishingResistant).toBe(false);
    expect(crossDeviceFacts('watashi-pkcs11-trusted').phishingResistant).toBe(false);
    expect(crossDeviceFacts('watashi-pkcs11-trusted').keyProtection).toBe('hardware');
  });
});
