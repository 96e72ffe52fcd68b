import { messageReaches, type TestServer } from '../harness.js';

/**
 * The harness's messageReaches with a larger bound: on a busy machine the send worker and the
 * carrier's callbacks can take longer than its ~5 s of polls. Still bounded by attempts.
 */
export const reaches = (server: TestServer, messageId: string, statuses: string[]) => messageReaches(server, messageId, statuses, 1200);
