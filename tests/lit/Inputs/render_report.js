// Runs the script of a popt-report HTML page against a small stand-in for
// the DOM (elements, text, attributes, click handlers) and prints what it
// built: sections, chart points, table rows, and whether clicking a column
// header sorts its table (tests/lit/monitor/report-script.test).
'use strict';
const fs = require('fs');
const html = fs.readFileSync(process.argv[2], 'utf8');
const data = html.match(/<script type="application\/json" id="data">([\s\S]*?)<\/script>/)[1];
const code = html.match(/<script>([\s\S]*?)<\/script>/)[1];

class Node_ { constructor() { this.children = []; } }
class Text extends Node_ { constructor(t) { super(); this.text = t; } get textContent() { return this.text; } }
class Element extends Node_ {
  constructor(tag) { super(); this.tag = tag; this.attrs = {}; this.className = ''; }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  append(...kids) { for (const k of kids) { if (!(k instanceof Node_)) throw new Error('append of a non-node'); this.children.push(k); } }
  get textContent() { return this.children.map(c => c.textContent).join(''); }
  set textContent(t) { this.children = t === '' ? [] : [new Text(t)]; }
  all(tag) { const out = []; const walk = n => { for (const c of n.children) { if (c.tag === tag) out.push(c); if (c instanceof Element) walk(c); } }; walk(this); return out; }
}
const byId = {data: Object.assign(new Element('script'), {}), head: new Element('p'), plans: new Element('div')};
byId.data.textContent = data;
const document = {
  getElementById: id => byId[id],
  createElement: tag => new Element(tag),
  createElementNS: (ns, tag) => new Element('svg:' + tag),
  createTextNode: t => new Text(t),
};
global.Node = Node_;
new Function('document', 'Node', code)(document, Node_);

const plans = byId.plans;
const sections = plans.all('section');
const points = plans.all('svg:circle');
const tables = plans.all('table');
const opTable = tables[tables.length - 1];
const rows = t => t.all('tbody')[0].all('tr');
const firstCells = t => rows(t).map(r => r.all('td')[0].textContent);
const before = firstCells(opTable).join(',');
const lastHeader = opTable.all('th')[3]; // "last": the op's time
lastHeader.onclick();
const times = rows(opTable).map(r => parseFloat(r.all('td')[3].textContent));
const sorted = times.every((t, i) => i === 0 || times[i - 1] >= t);
console.log(`sections ${sections.length}, chart points ${points.length}, op rows ${rows(opTable).length}, ` +
            `sorted by time on click ${sorted}, order changed ${before !== firstCells(opTable).join(',')}`);
console.log('head: ' + byId.head.textContent);
console.log('verdict: ' + sections[0].all('p')[0].textContent);
