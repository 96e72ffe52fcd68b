import type { Request } from 'express';
import type { AccessService, Actor } from '../access/access.service.js';
import type { AuthService } from '../auth/auth.service.js';
import { clientIp, readSessionToken } from '../trpc/context.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The same rules as tRPC's orgProcedure, for plain HTTP routes (uploads, downloads). `route`
 * names the route for the external collaborators' allow-list (EXTERNAL_PROCEDURES), like a
 * procedure path.
 */
export async function actorFromRequest(req: Request, auth: AuthService, access: AccessService, route: string): Promise<Actor> {
  const presented = readSessionToken(req);
  const state = presented ? await auth.authenticate(presented.token) : null;
  if (!state) throw new HttpError(401, 'Please sign in.');
  const orgId = state.session.activeOrgId;
  if (!orgId) throw new HttpError(412, 'Create or join an organization first.');
  const { membership } = await access.requireMembership(orgId, state.user.id).catch(() => {
    throw new HttpError(403, 'You are no longer a member of this organization.');
  });
  const actor = { userId: state.user.id, orgId, role: membership.role, membershipId: membership.id, ip: clientIp(req) };
  try {
    access.requireProcedureAllowed(actor, route);
  } catch {
    throw new HttpError(403, 'People outside the organization can only use the chats they are in.');
  }
  return actor;
}
