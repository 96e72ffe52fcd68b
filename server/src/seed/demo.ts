import { hashPassword } from '../auth/password.js';
import type { Database } from '../db/database.js';
import { newJoinCode } from '../orgs/orgs.service.js';

export const DEMO_ORG = 'Sunrise Family Clinic';
export const DEMO_USERS = {
  admin: { name: 'Dana Reyes', email: 'admin@sunrise-clinic.example', password: 'caretext-demo-admin' },
  member: { name: 'Sam Okafor', email: 'nurse@sunrise-clinic.example', password: 'caretext-demo-nurse' },
} as const;

/** Seeds the demo organization on first start only: an empty user table is the signal. */
export async function seedDemo(db: Database): Promise<boolean> {
  if ((await db.prisma.user.count()) > 0) return false;
  const [admin, member] = await Promise.all(
    [DEMO_USERS.admin, DEMO_USERS.member].map(async (u) =>
      db.prisma.user.create({ data: { name: u.name, email: u.email, passwordHash: await hashPassword(u.password) } }),
    ),
  );
  await db.prisma.$transaction(async (tx) => {
    const org = await tx.org.create({ data: { name: DEMO_ORG, timeZone: 'America/Los_Angeles', joinCode: newJoinCode() } });
    await tx.membership.createMany({
      data: [
        { orgId: org.id, userId: admin!.id, role: 'owner' },
        { orgId: org.id, userId: member!.id, role: 'member' },
      ],
    });
    const frontDesk = await tx.team.create({ data: { orgId: org.id, name: 'Front Desk' } });
    const nursing = await tx.team.create({ data: { orgId: org.id, name: 'Nursing' } });
    await tx.teamMember.createMany({
      data: [
        { teamId: frontDesk.id, userId: admin!.id },
        { teamId: frontDesk.id, userId: member!.id },
        { teamId: nursing.id, userId: member!.id },
      ],
    });
    await tx.auditEvent.create({
      data: { orgId: org.id, actorId: admin!.id, action: 'org.created', summary: `Created the organization ${org.name} (demo seed)` },
    });
  });
  return true;
}
