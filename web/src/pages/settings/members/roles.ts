export type Role = 'owner' | 'admin' | 'member' | 'external';

const LABELS: Record<string, string> = { owner: 'Owner', admin: 'Admin', member: 'Member', external: 'External' };

export function roleLabel(role: string): string {
  return LABELS[role] ?? role;
}

/**
 * The roles an admin may pick for a member, by the server's rules: only an owner grants or takes
 * away the owner role; external is reserved for cross-org chat. A single option means read-only.
 */
export function rolesAssignableBy(actorRole: string, targetRole: string): Role[] {
  if (actorRole === 'owner') return ['owner', 'admin', 'member'];
  if (actorRole !== 'admin') return [targetRole as Role];
  if (targetRole === 'owner' || targetRole === 'external') return [targetRole];
  return ['admin', 'member'];
}
