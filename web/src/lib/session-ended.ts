/**
 * Set by the session module: called when the server says the session ended for a reason the
 * person should hear (inactivity, a password change), from any call or live stream. A module
 * of its own so the tRPC client and the session module need not import each other.
 */
export const sessionEndedHook: { current: (reason: string, message: string) => void } = { current: () => {} };
