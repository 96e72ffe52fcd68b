import { render } from 'preact';
import { Portal } from './Portal';
import { tokenFromPath } from './api';
import './portal.css';

render(<Portal token={tokenFromPath(location.pathname)} />, document.getElementById('portal')!);
