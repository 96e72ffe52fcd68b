import { render } from 'preact';
import { App } from './app';
import './styles/base.css';
import './styles/app.css';
import './styles/directory.css';
import './styles/inbox.css';
import './styles/messaging.css';

render(<App />, document.getElementById('app')!);
