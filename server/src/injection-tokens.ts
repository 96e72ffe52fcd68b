/** Nest injection tokens for values that are not classes (the clock's is in ./clock.ts). */
export const CONFIG = Symbol('CONFIG');
export const DATABASE = Symbol('DATABASE');

/** The Twilio simulator (null with real Twilio credentials). */
export const SIMULATOR = Symbol('SIMULATOR');
