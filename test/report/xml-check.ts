// A strict little XML 1.0 reader for the tests (no XML library is installed, none is added): it
// parses the subset a JUnit file uses (declaration, elements, attributes, text, the five
// predefined entities and numeric character references) and throws on anything malformed:
// unbalanced or crossed tags, duplicate attributes, bare `<` or `&`, text outside the root.

export interface XmlElement { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string }

const NAME = /^[A-Za-z_:][A-Za-z0-9_.:-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, at: number): string {
  if (/<|&(?!(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/.test(s)) throw new Error(`bare < or & near offset ${at}`);
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (_, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(parseInt(e.slice(1), 10)) : ENTITIES[e]!);
}

export function parseXml(doc: string): XmlElement {
  let i = 0;
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(doc);
  if (!decl) throw new Error('missing XML declaration');
  i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const text = doc.slice(i, lt === -1 ? doc.length : lt);
    if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root at ${i}`);
    if (stack.length > 0) stack[stack.length - 1]!.text += decode(text, i);
    if (lt === -1) break;
    i = lt;
    if (doc.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_:][A-Za-z0-9_.:-]*)\s*>/.exec(doc.slice(i));
      const open = stack.pop();
      if (!m || !open || open.name !== m[1]) throw new Error(`unbalanced close tag at ${i}`);
      i += m[0].length;
      continue;
    }
    i++;
    const name = NAME.exec(doc.slice(i))?.[0];
    if (!name) throw new Error(`bad tag name at ${i}`);
    i += name.length;
    const el: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const m = /^\s+([A-Za-z_:][A-Za-z0-9_.:-]*)="([^"]*)"/.exec(doc.slice(i));
      if (!m) break;
      if (m[1]! in el.attrs) throw new Error(`duplicate attribute ${m[1]} at ${i}`);
      el.attrs[m[1]!] = decode(m[2]!, i);
      i += m[0].length;
    }
    const end = /^\s*(\/?)>/.exec(doc.slice(i));
    if (!end) throw new Error(`malformed tag ${name} at ${i}`);
    i += end[0].length;
    if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
    else if (root) throw new Error('second root element');
    else root = el;
    if (end[1] !== '/') stack.push(el);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}
