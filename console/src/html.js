// Preact with htm tagged templates: no JSX step, and the whole UI library is ~5 KB in the bundle.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
