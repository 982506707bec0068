/**
 * Who is signed in, for the whole shell: `/api/me` and the name from `/api/me/attributes`, read
 * once when the wallet opens and again whenever a page calls `refresh()` (after signing in or out,
 * enrolling, revoking the passkey of this session).
 */
import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';
import { getAttributes, getMe, type MeJson } from './api/client.ts';

/** What the shell knows about the session. */
export type Session =
  | { readonly status: 'loading' }
  | { readonly status: 'signed-out' }
  | { readonly status: 'unknown'; readonly error: unknown }
  | { readonly status: 'signed-in'; readonly me: MeJson; readonly name: string | undefined };

interface SessionValue {
  readonly session: Session;
  readonly refresh: () => Promise<Session>;
}

const SessionContext = createContext<SessionValue>({
  session: { status: 'loading' },
  refresh: () => Promise.resolve({ status: 'loading' }),
});

async function load(): Promise<Session> {
  try {
    const me = await getMe();
    if (me === null) return { status: 'signed-out' };
    const attrs = await getAttributes().catch(() => null);
    return { status: 'signed-in', me, name: attrs?.verified?.name };
  } catch (error) {
    return { status: 'unknown', error };
  }
}

/** Provides the session to the tree below. */
export function SessionProvider({ children }: { readonly children: ComponentChildren }) {
  const [session, setSession] = useState<Session>({ status: 'loading' });
  const refresh = useCallback(async () => {
    const s = await load();
    setSession(s);
    return s;
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return <SessionContext.Provider value={{ session, refresh }}>{children}</SessionContext.Provider>;
}

/** The session and a way to read it again. */
export function useSession(): SessionValue {
  return useContext(SessionContext);
}
