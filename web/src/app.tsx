import { useEffect } from 'preact/hooks';
import { LocationProvider, Route, Router } from 'preact-iso';
import { Notices } from './components/Notices';
import { ErrorState, Loading } from './components/states';
import { refreshSession, session } from './lib/session';
import { ConfirmEmailPage } from './pages/auth/ConfirmEmailPage';
import { ForgotPasswordPage } from './pages/auth/ForgotPasswordPage';
import { ResetPasswordPage } from './pages/auth/ResetPasswordPage';
import { SignInPage } from './pages/auth/SignInPage';
import { SignUpPage } from './pages/auth/SignUpPage';
import { GetExtensionPage } from './pages/extension/GetExtensionPage';
import { MailboxPage } from './pages/dev/MailboxPage';
import { DirectoryPage, ToPatients } from './pages/directory/DirectoryPage';
import { InboxPage } from './pages/inbox/InboxPage';
import { InvitePage } from './pages/invite/InvitePage';
import { NotFoundPage } from './pages/NotFoundPage';
import { SettingsPage } from './pages/settings/SettingsPage';
import { WelcomePage } from './pages/welcome/WelcomePage';
import { Home } from './routing';

export function App() {
  useEffect(() => {
    void refreshSession();
  }, []);
  return (
    <LocationProvider>
      <Notices />
      <Routes />
    </LocationProvider>
  );
}

function Routes() {
  const current = session.value;
  if (current.status === 'loading') {
    return (
      <div class="fullpage">
        <Loading />
      </div>
    );
  }
  if (current.status === 'error') {
    return (
      <div class="fullpage">
        <ErrorState message={current.message} onRetry={() => void refreshSession()} />
      </div>
    );
  }
  return (
    <Router>
      <Route path="/" component={Home} />
      <Route path="/sign-in" component={SignInPage} />
      <Route path="/sign-up" component={SignUpPage} />
      <Route path="/confirm-email/:token" component={ConfirmEmailPage} />
      <Route path="/forgot-password" component={ForgotPasswordPage} />
      <Route path="/reset-password/:token" component={ResetPasswordPage} />
      <Route path="/invite/:token" component={InvitePage} />
      <Route path="/welcome" component={WelcomePage} />
      <Route path="/inbox/:conversationId?" component={InboxPage} />
      <Route path="/directory" component={ToPatients} />
      <Route path="/directory/*" component={DirectoryPage} />
      <Route path="/settings/:tab?" component={SettingsPage} />
      <Route path="/dev/mailbox" component={MailboxPage} />
      <Route path="/extension" component={GetExtensionPage} />
      <Route default component={NotFoundPage} />
    </Router>
  );
}
