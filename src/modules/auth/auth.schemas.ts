import { Type } from 'typebox';

const Email = Type.String({ format: 'email', maxLength: 254 });

/** Logging in checks a password as it was chosen: no rule here may lock out an existing user. */
export const Credentials = Type.Object({ email: Email, password: Type.String({ minLength: 8, maxLength: 256 }) }, { additionalProperties: false });

/** A new password must hold something besides whitespace: eight spaces are no secret. */
export const RegisterBody = Type.Object(
  { email: Email, password: Type.String({ minLength: 8, maxLength: 256, pattern: '\\S', description: 'at least 8 characters, not all whitespace' }) },
  { additionalProperties: false },
);
