import { emailSchema, passwordSchema } from '@caretext/shared';
import { z } from 'zod';

/** The same rules the server applies, checked before the request so mistakes show at once. */
export const signInSchema = z.object({
  email: emailSchema,
  password: z.string().min(1, 'Enter your password'),
});

export const signUpSchema = z.object({
  name: z.string().trim().min(1, 'Enter your name').max(100, 'Use at most 100 characters'),
  email: emailSchema,
  password: passwordSchema,
});

export const newPasswordSchema = z
  .object({ password: passwordSchema, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: "The passwords don't match" });
