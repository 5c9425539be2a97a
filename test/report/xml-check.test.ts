// The test's XML checker must itself be strict, or "well-formed" proves nothing.
import { describe, expect, it } from 'vitest';
import { parseXml } from './xml-check.js';

const D = '<?xml version="1.0" encoding="UTF-8"?>\n';

describe('parseXml', () => {
  it('reads elements, attributes, entities and text', () => {
    const r = parseXml(`${D}<a x="1 &lt; 2&#10;"><b/><c>t &amp; u</c></a>\n`);
    expect(r).toEqual({ name: 'a', attrs: { x: '1 < 2\n' }, text: '', children: [{ name: 'b', attrs: {}, children: [], text: '' }, { name: 'c', attrs: {}, children: [], text: 't & u' }] });
  });
  it.each([
    ['no declaration', '<a/>'],
    ['crossed tags', `${D}<a><b></a></b>`],
    ['unclosed', `${D}<a><b>`],
    ['bare ampersand', `${D}<a>x & y</a>`],
    ['bare < in an attribute', `${D}<a x="<"/>`],
    ['duplicate attribute', `${D}<a x="1" x="2"/>`],
    ['two roots', `${D}<a/><b/>`],
    ['text after the root', `${D}<a/>x`],
    ['unknown entity', `${D}<a>&nbsp;</a>`],
  ])('refuses %s', (_, doc) => {
    expect(() => parseXml(doc)).toThrow();
  });
});
