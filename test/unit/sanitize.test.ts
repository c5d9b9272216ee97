import { describe, expect, it } from 'vitest';
import { sanitizeArticleHtml } from '../../src/modules/broadcasts/sanitize.js';

/** Every URL-carrying attribute left in the output, with entities decoded as a browser would. */
function urlAttributes(html: string): string[] {
  const decode = (value: string) =>
    value
      .replace(/&#x([0-9a-f]+);?/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
      .replace(/&#(\d+);?/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
      .replace(/&colon;/gi, ':')
      .replace(/&tab;/gi, '\t')
      .replace(/&newline;/gi, '\n')
      .replace(/&amp;/g, '&');
  return [...html.matchAll(/\s(href|src|data-src|poster|cite|srcset|action|formaction|xlink:href)="([^"]*)"/gi)].map((m) => decode(m[2]!));
}

/** What a browser would treat as the scheme: control characters and spaces are ignored. */
function schemeOf(url: string): string | undefined {
  const visible = [...url].filter((char) => char.charCodeAt(0) > 0x20).join('');
  return /^([a-z][a-z0-9+.-]*):/i.exec(visible)?.[1]?.toLowerCase();
}

const HOSTILE: string[] = [
  // javascript: in every attribute that loads or links
  '<img src="javascript:alert(1)">',
  '<img data-src="javascript:alert(1)">',
  '<img src="https://example.com/a.png" data-src="JaVaScRiPt:alert(1)">',
  '<video poster="javascript:alert(1)" src="https://example.com/v.mp4"></video>',
  '<video src="javascript:alert(1)"></video>',
  '<audio src="javascript:alert(1)"></audio>',
  '<video><source src="javascript:alert(1)" type="video/mp4"></video>',
  '<a href="javascript:alert(1)">x</a>',
  '<a href=" javascript:alert(1)">x</a>',
  '<a href="java\tscript:alert(1)">x</a>',
  '<a href="java&#x09;script:alert(1)">x</a>',
  '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
  '<a href="javascript&colon;alert(1)">x</a>',
  '<img data-src="&#x6A;avascript:alert(1)">',
  '<img data-src="\u0001javascript:alert(1)">',
  '<video poster="vbscript:msgbox(1)"></video>',
  '<blockquote cite="javascript:alert(1)">q</blockquote>',
  '<q cite="javascript:alert(1)">q</q>',
  // data: URLs that are documents, not pictures
  '<img src="data:text/html,<script>alert(1)</script>">',
  '<img src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
  '<img data-src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
  '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  '<img src=" DATA:text/html,x">',
  '<video poster="data:text/html,x"></video>',
  '<a href="data:text/html,<script>alert(1)</script>">x</a>',
  // scripts, handlers and frames
  '<script>alert(1)</script>',
  '<p onclick="alert(1)">x</p>',
  '<img src="https://example.com/a.png" onerror="alert(1)">',
  '<svg onload="alert(1)"><circle /></svg>',
  '<iframe src="https://evil.example"></iframe>',
  '<object data="https://evil.example/x.swf"></object>',
  '<embed src="https://evil.example/x.swf">',
  '<form action="https://evil.example"><button formaction="javascript:alert(1)">x</button></form>',
  '<img srcset="javascript:alert(1) 1x">',
  '<p style="background-image:url(javascript:alert(1))">x</p>',
  '<p style="width:expression(alert(1))">x</p>',
  '<base href="https://evil.example/">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<style>body{background:url(javascript:alert(1))}</style>',
  '<math><a xlink:href="javascript:alert(1)">x</a></math>',
  // reverse tabnabbing
  '<a href="https://example.com" target="_blank">x</a>',
  '<a href="https://example.com" target="_BLANK" rel="opener">x</a>',
  '<a href="https://example.com" target="news">x</a>',
];

describe('sanitizeArticleHtml with a hostile corpus', () => {
  it.each(HOSTILE)('%s', (input) => {
    const output = sanitizeArticleHtml(input);
    for (const url of urlAttributes(output)) {
      const scheme = schemeOf(url);
      expect(scheme === undefined || ['http', 'https', 'mailto'].includes(scheme), `${url} in ${output}`).toBe(true);
    }
    expect(output).not.toMatch(/<\s*(script|iframe|object|embed|svg|form|base|meta|style|math)\b/i);
    expect(output).not.toMatch(/\son[a-z]+\s*=/i);
    expect(output).not.toMatch(/srcset|expression\(|url\(/i);
    expect(output).not.toMatch(/rel="[^"]*\bopener\b/);
    for (const [tag] of output.matchAll(/<a\b[^>]*>/g)) {
      if (/\starget=/.test(tag)) expect(tag).toMatch(/\srel="noopener noreferrer"/);
    }
  });

  it('keeps what WeChat articles are made of', () => {
    const html =
      '<section style="text-align: center"><h2>Title</h2><p>Text with <strong>bold</strong>, <em>em</em> and a <a href="https://example.com/a?b=1&amp;c=2" title="t">link</a>.</p>' +
      '<img src="https://mmbiz.qpic.cn/a.png" data-src="https://mmbiz.qpic.cn/a.png" alt="a" width="300">' +
      '<video src="https://example.com/v.mp4" poster="https://example.com/p.jpg" controls></video>' +
      '<blockquote>quoted</blockquote><ul><li>one</li></ul><a href="mailto:editor@example.com">mail</a></section>';
    expect(sanitizeArticleHtml(html)).toBe(
      '<section style="text-align:center"><h2>Title</h2><p>Text with <strong>bold</strong>, <em>em</em> and a <a href="https://example.com/a?b=1&amp;c=2" title="t">link</a>.</p>' +
        '<img src="https://mmbiz.qpic.cn/a.png" data-src="https://mmbiz.qpic.cn/a.png" alt="a" width="300" />' +
        '<video src="https://example.com/v.mp4" poster="https://example.com/p.jpg" controls></video>' +
        '<blockquote>quoted</blockquote><ul><li>one</li></ul><a href="mailto:editor@example.com">mail</a></section>',
    );
  });

  it('a link that opens a new window gets rel="noopener noreferrer", whatever rel it came with', () => {
    expect(sanitizeArticleHtml('<a href="https://example.com" target="_blank">x</a>')).toBe('<a href="https://example.com" target="_blank" rel="noopener noreferrer">x</a>');
    expect(sanitizeArticleHtml('<a href="https://example.com" target="_blank" rel="opener">x</a>')).toBe(
      '<a href="https://example.com" target="_blank" rel="noopener noreferrer">x</a>',
    );
    expect(sanitizeArticleHtml('<a href="https://example.com" rel="opener">x</a>')).toBe('<a href="https://example.com">x</a>');
  });

  it('drops an unsafe URL but keeps the element and its safe attributes', () => {
    expect(sanitizeArticleHtml('<img src="https://example.com/a.png" data-src="javascript:alert(1)" alt="a">')).toBe('<img src="https://example.com/a.png" alt="a" />');
    expect(sanitizeArticleHtml('<video src="https://example.com/v.mp4" poster="javascript:alert(1)"></video>')).toBe('<video src="https://example.com/v.mp4"></video>');
  });

  it.each(['<p> </p>', '<p>&nbsp;&nbsp;</p>', '<p><br /></p>', '<section>\u200b\ufeff</section>', '<img src="javascript:alert(1)">', '<script>alert(1)</script>'])(
    'nothing visible is left of %j: the result is empty',
    (input) => {
      expect(sanitizeArticleHtml(input)).toBe('');
    },
  );

  it.each(['<p>x</p>', '<img src="https://example.com/a.png">', '<p><video src="https://example.com/v.mp4"></video></p>', '<img data-src="https://example.com/a.png">', '<video><source src="https://example.com/v.mp4"></video>'])(
    '%j is visible content',
    (input) => {
      expect(sanitizeArticleHtml(input)).not.toBe('');
    },
  );
});
