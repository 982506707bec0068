/**
 * A User-Agent header in a few words the wallet can show ("Chrome, Android, phone"): which browser,
 * which system, which kind of device. Deliberately coarse — no versions, no device models — because
 * it only helps a resident recognise their own sign-ins; it decides nothing (a User-Agent is
 * whatever the client sends). Unknown parts are null and the wallet says "unknown browser".
 *
 * Order matters: Edge, Opera and Samsung Internet also say "Chrome"; Chrome on iOS says "CriOS" and
 * "Safari"; every iPad since iPadOS 13 says "Macintosh" (and is told apart only by touch, which a
 * header cannot show, so it reads as macOS).
 */

/** Browsers the wallet names. */
export type BrowserName = 'edge' | 'opera' | 'samsung' | 'firefox' | 'chrome' | 'safari';
/** Systems the wallet names. */
export type SystemName = 'android' | 'ios' | 'ipados' | 'windows' | 'macos' | 'chromeos' | 'linux';
/** Kinds of device. */
export type DeviceKind = 'phone' | 'tablet' | 'computer';

/** What a User-Agent says, coarsely; null where it says nothing we recognise. */
export interface DeviceView {
  readonly browser: BrowserName | null;
  readonly system: SystemName | null;
  readonly kind: DeviceKind | null;
}

const BROWSERS: ReadonlyArray<readonly [RegExp, BrowserName]> = [
  [/\bEdg(e|A|iOS)?\//, 'edge'],
  [/\bOPR\/|\bOPiOS\//, 'opera'],
  [/\bSamsungBrowser\//, 'samsung'],
  [/\bFirefox\/|\bFxiOS\//, 'firefox'],
  [/\b(Headless)?Chrome\/|\bCriOS\/|\bChromium\//, 'chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\/|\bMobile\/\w+ Safari\//, 'safari'],
];

const SYSTEMS: ReadonlyArray<readonly [RegExp, SystemName]> = [
  [/\bAndroid\b/, 'android'],
  [/\biPad\b/, 'ipados'],
  [/\biPhone\b|\biPod\b/, 'ios'],
  [/\bWindows\b/, 'windows'],
  [/\bCrOS\b/, 'chromeos'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macos'],
  [/\bLinux\b/, 'linux'],
];

/** Describes `userAgent` (null or empty: nothing known). */
export function describeDevice(userAgent: string | null | undefined): DeviceView {
  if (userAgent === null || userAgent === undefined || userAgent.trim() === '')
    return { browser: null, system: null, kind: null };
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1] ?? null;
  const system = SYSTEMS.find(([re]) => re.test(userAgent))?.[1] ?? null;
  let kind: DeviceKind | null = null;
  if (system === 'ipados') kind = 'tablet';
  else if (system === 'ios') kind = 'phone';
  // Android phones say "Mobile"; Android tablets do not (Chrome's own convention).
  else if (system === 'android') kind = /\bMobile\b/.test(userAgent) ? 'phone' : 'tablet';
  else if (system !== null) kind = 'computer';
  return { browser, system, kind };
}
