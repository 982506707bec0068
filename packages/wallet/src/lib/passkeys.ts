/**
 * Passkeys in the browser (WebAuthn through `@simplewebauthn/browser`) against the platform's
 * ceremonies (packages/platform/src/authn/routes.ts).
 */
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import { WatashiError } from '@watashi/pki';
import {
  finishPasskeyLogin,
  finishPasskeyRegistration,
  passkeyLoginOptions,
  passkeyRegistrationOptions,
  type AuthenticatorView,
  type PasskeyLoginJson,
} from '../api/client.ts';

function requireWebAuthn(): void {
  if (!browserSupportsWebAuthn())
    throw new WatashiError('webauthn_unsupported', 'this browser has no WebAuthn');
}

/** A default name for a new passkey: the platform the browser runs on. */
export function defaultPasskeyLabel(): string {
  const ua = navigator.userAgent;
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iPhone'
      : /Mac OS X/.test(ua)
        ? 'Mac'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'Browser';
  return `${os} passkey`;
}

/** Registers a passkey for the signed-in account (options → create → verify). */
export async function registerPasskey(label?: string): Promise<AuthenticatorView> {
  requireWebAuthn();
  const optionsJSON = await passkeyRegistrationOptions<PublicKeyCredentialCreationOptionsJSON>();
  const response = await startRegistration({ optionsJSON });
  const name = label === undefined || label.trim() === '' ? defaultPasskeyLabel() : label.trim();
  return finishPasskeyRegistration(response, name);
}

/** Signs in with a discoverable passkey (no account named, so asking reveals nothing). */
export async function signInWithPasskey(): Promise<PasskeyLoginJson> {
  requireWebAuthn();
  const optionsJSON = await passkeyLoginOptions<PublicKeyCredentialRequestOptionsJSON>();
  const response = await startAuthentication({ optionsJSON });
  return finishPasskeyLogin(response);
}
