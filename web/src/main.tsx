import { render } from 'preact';
import { App } from './app';
import './styles/base.css';
import './styles/app.css';
import './styles/directory.css';

render(<App />, document.getElementById('app')!);
