-- Operator roles (issue 17): viewer (reads the console), support (customer care, moves no money)
-- beside customer and admin; what each may do is in packages/server/src/shared/access.ts.
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('customer', 'viewer', 'support', 'admin'));

-- Set when an operator gives the account a temporary password: until the owner picks their own,
-- every route but changing it, reading /api/me and signing out refuses the session.
ALTER TABLE users ADD COLUMN IF NOT EXISTS must_change_password boolean NOT NULL DEFAULT false;
