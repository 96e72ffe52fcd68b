import { AuthLayout } from './auth/AuthLayout';

export function NotFoundPage() {
  return (
    <AuthLayout title="Page not found" footer={<a href="/">Go to CareText</a>}>
      <p class="muted">There is nothing at this address. Check the link, or go back to the start.</p>
    </AuthLayout>
  );
}
