/** Nest injection tokens for values that are not classes. */
export const CONFIG = Symbol('CONFIG');
export const DATABASE = Symbol('DATABASE');
export const CLOCK = Symbol('CLOCK');

/** The one clock: injectable so tests move time instead of sleeping. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** The Twilio simulator (null with real Twilio credentials). */
export const SIMULATOR = Symbol('SIMULATOR');
