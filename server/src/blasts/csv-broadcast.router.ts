import { z } from 'zod';
import { router, teamProcedure } from '../trpc/trpc.js';
import { MAX_BODY } from '../messages/messaging.service.js';
import { type CsvBroadcastService, MAX_BROADCAST_FILE_BYTES } from './csv-broadcast.service.js';

const id = z.string().min(1).max(64);

/** CSV broadcast from a number's inbox: members of the number's team only (teamProcedure, `teamId`). */
export function csvBroadcastRouter(broadcasts: CsvBroadcastService) {
  return router({
    /** The file as base64 (its bytes are hashed as uploaded: any encoding the import reads). */
    upload: teamProcedure
      .input(z.object({ fileName: z.string().max(300), content: z.string().min(1).max(Math.ceil((MAX_BROADCAST_FILE_BYTES * 4) / 3) + 4) }))
      .mutation(({ ctx, input }) => broadcasts.upload(ctx.actor, ctx.org, ctx.scope.team, input)),
    get: teamProcedure.input(z.object({ broadcastId: id })).query(({ ctx, input }) => broadcasts.get(ctx.actor, ctx.org, ctx.scope.team, input.broadcastId)),
    send: teamProcedure
      .input(z.object({ broadcastId: id, body: z.string().min(1).max(MAX_BODY), confirmPhi: z.boolean().optional() }))
      .mutation(({ ctx, input }) => broadcasts.send(ctx.actor, ctx.org, ctx.scope.team, input)),
  });
}
