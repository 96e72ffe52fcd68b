import { TRPCClientError } from '@trpc/client';

export type FieldErrors = Record<string, string>;

const NETWORK_HINT = "Can't reach CareText right now. Check your connection and try again.";

/** What to show a person for any error a tRPC call (or our own code) can throw. */
export function errorMessage(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const code = (error.data as { code?: string } | undefined)?.code;
    // A transport failure has no tRPC shape: the request never got an answer.
    if (!error.shape && !code) return looksLikeNetwork(error) ? NETWORK_HINT : error.message || 'Something went wrong.';
    if (code === 'INTERNAL_SERVER_ERROR') return 'Something went wrong on our side. Try again in a moment.';
    if (code === 'UNAUTHORIZED' && !error.message) return 'Please sign in.';
    return error.message || 'Something went wrong.';
  }
  if (error instanceof Error) return looksLikeNetwork(error) ? NETWORK_HINT : error.message;
  return 'Something went wrong.';
}

function looksLikeNetwork(error: Error): boolean {
  const text = `${error.message} ${error.cause instanceof Error ? error.cause.message : ''}`;
  return /failed to fetch|networkerror|network request failed|load failed|fetch failed/i.test(text);
}

/** The server's per-field messages for zod validation errors, keyed by field path ("email"). */
export function fieldErrorsOf(error: unknown): FieldErrors {
  if (!(error instanceof TRPCClientError)) return {};
  const fields = (error.data as { fieldErrors?: unknown } | undefined)?.fieldErrors;
  if (!fields || typeof fields !== 'object') return {};
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export function errorCode(error: unknown): string | null {
  if (!(error instanceof TRPCClientError)) return null;
  return (error.data as { code?: string } | undefined)?.code ?? null;
}
