/** The resident's own security and data (issue 17): sign-in history, sessions, sign-out, export. */
export { registerMeRoutes } from './routes.ts';
export {
  describeDevice,
  type BrowserName,
  type DeviceKind,
  type DeviceView,
  type SystemName,
} from './device.ts';
export {
  listActiveSessions,
  listSignIns,
  signOut,
  type ActiveSessionView,
  type SessionServiceView,
  type SignInMethod,
  type SignInView,
  type SignOutResult,
  type SignOutScope,
} from './sessions.ts';
export { EXPORT_FORMAT, exportAccountData, type AccountExport } from './export.ts';
