import { describe, expect, it } from 'vitest';
import { rolesAssignableBy } from './roles';

describe('rolesAssignableBy', () => {
  it('lets an owner hand out every staff role, owner included', () => {
    expect(rolesAssignableBy('owner', 'member')).toEqual(['owner', 'admin', 'member']);
    expect(rolesAssignableBy('owner', 'owner')).toEqual(['owner', 'admin', 'member']);
  });

  it('lets an admin move people between admin and member, but not touch owners', () => {
    expect(rolesAssignableBy('admin', 'member')).toEqual(['admin', 'member']);
    expect(rolesAssignableBy('admin', 'owner')).toEqual(['owner']);
  });

  it('gives members no choice at all', () => {
    expect(rolesAssignableBy('member', 'admin')).toEqual(['admin']);
  });
});
