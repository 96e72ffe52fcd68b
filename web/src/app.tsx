import { useEffect } from 'preact/hooks';
import { LocationProvider, Route, Router } from 'preact-iso';
import { Notices } from './components/Notices';
import { ErrorState, Loading } from './components/states';
import { refreshSession, session } from './lib/session';
import { lazyPage } from './lazyPage';
import { Home } from './routing';

// One chunk per area (see lazyPage): the sign-in page and the Inbox each load only their own code.
const SignInPage = lazyPage(() => import('./pages/auth/SignInPage').then((m) => m.SignInPage));
const SignUpPage = lazyPage(() => import('./pages/auth/SignUpPage').then((m) => m.SignUpPage));
const ConfirmEmailPage = lazyPage(() => import('./pages/auth/ConfirmEmailPage').then((m) => m.ConfirmEmailPage));
const ForgotPasswordPage = lazyPage(() => import('./pages/auth/ForgotPasswordPage').then((m) => m.ForgotPasswordPage));
const ResetPasswordPage = lazyPage(() => import('./pages/auth/ResetPasswordPage').then((m) => m.ResetPasswordPage));
const InvitePage = lazyPage(() => import('./pages/invite/InvitePage').then((m) => m.InvitePage));
const GetStartedPage = lazyPage(() => import('./pages/invite/GetStartedPage').then((m) => m.GetStartedPage));
const WelcomePage = lazyPage(() => import('./pages/welcome/WelcomePage').then((m) => m.WelcomePage));
const InboxPage = lazyPage(() => import('./pages/inbox/InboxPage').then((m) => m.InboxPage));
const DirectoryPage = lazyPage(() => import('./pages/directory/DirectoryPage').then((m) => m.DirectoryPage));
const ToPatients = lazyPage(() => import('./pages/directory/DirectoryPage').then((m) => m.ToPatients));
const CommsPage = lazyPage(() => import('./pages/comms/CommsPage').then((m) => m.CommsPage));
const ToCohorts = lazyPage(() => import('./pages/comms/CommsPage').then((m) => m.ToCohorts));
const AnalyticsPage = lazyPage(() => import('./pages/analytics/AnalyticsPage').then((m) => m.AnalyticsPage));
const ToBlastAnalytics = lazyPage(() => import('./pages/analytics/AnalyticsPage').then((m) => m.ToBlastAnalytics));
const SettingsPage = lazyPage(() => import('./pages/settings/SettingsPage').then((m) => m.SettingsPage));
const MailboxPage = lazyPage(() => import('./pages/dev/MailboxPage').then((m) => m.MailboxPage));
const GetExtensionPage = lazyPage(() => import('./pages/extension/GetExtensionPage').then((m) => m.GetExtensionPage));
const NotFoundPage = lazyPage(() => import('./pages/NotFoundPage').then((m) => m.NotFoundPage));

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
      <Route path="/external/:token" component={GetStartedPage} />
      <Route path="/welcome" component={WelcomePage} />
      <Route path="/inbox/:conversationId?" component={InboxPage} />
      <Route path="/directory" component={ToPatients} />
      <Route path="/directory/*" component={DirectoryPage} />
      <Route path="/comms" component={ToCohorts} />
      <Route path="/comms/*" component={CommsPage} />
      <Route path="/analytics" component={ToBlastAnalytics} />
      <Route path="/analytics/*" component={AnalyticsPage} />
      <Route path="/settings/:tab?" component={SettingsPage} />
      <Route path="/dev/mailbox" component={MailboxPage} />
      <Route path="/extension" component={GetExtensionPage} />
      <Route default component={NotFoundPage} />
    </Router>
  );
}
