export const ROLES = ['admin', 'venue_admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

/** The caller, as established from a verified JWT. */
export interface AuthUser {
  userId: string;
  tenantId: string;
  roles: Role[];
}

export function isAdmin(user: AuthUser): boolean {
  return user.roles.includes('admin');
}
