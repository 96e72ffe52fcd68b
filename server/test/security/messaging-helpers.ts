import { type TestServer, waitFor } from '../harness.js';

/**
 * Like the harness's messageReaches, with a larger bound: on a busy machine the send worker and
 * the carrier's callbacks can take longer than its ~5 s of polls. Still bounded by attempts.
 */
export async function reaches(server: TestServer, messageId: string, statuses: string[]) {
  let last: unknown = null;
  return waitFor(async () => {
    await server.simulator?.settle();
    const m = await server.db.prisma.message.findUnique({ where: { id: messageId } });
    last = m;
    return m && statuses.includes(m.status) ? m : null;
  }, 1200).catch((error: Error) => {
    throw new Error(`message never reached ${statuses.join('/')}: ${JSON.stringify(last)}`, { cause: error });
  });
}
