import type { ComponentChildren } from 'preact';
import { Logo } from '../../components/icons';

/** The centered card that sign in, sign up, password reset and invites share. */
export function AuthLayout({ title, subtitle, children, footer }: {
  title: string;
  subtitle?: ComponentChildren;
  children: ComponentChildren;
  footer?: ComponentChildren;
}) {
  return (
    <div class="auth-page">
      <div class="auth-brand">
        <Logo size={32} />
        <span>CareText</span>
      </div>
      <div class="card auth-card">
        <h1>{title}</h1>
        {subtitle && <p class="auth-subtitle">{subtitle}</p>}
        {children}
      </div>
      {footer && <div class="auth-footer">{footer}</div>}
    </div>
  );
}
