// Parses each Mermaid file named on the command line with Mermaid's own
// parser (the one GitHub renders with), in a DOM-less Node through jsdom.
// Exits 1 naming every file that does not parse.
import fs from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
const { default: mermaid } = await import('mermaid');

for (const file of process.argv.slice(2)) {
  try {
    const { diagramType } = await mermaid.parse(fs.readFileSync(file, 'utf8'));
    console.log(`ok ${file} (${diagramType})`);
  } catch (err) {
    console.log(`FAILED ${file}: ${err.message}`);
    process.exitCode = 1;
  }
}
