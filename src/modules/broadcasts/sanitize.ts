import sanitizeHtml from 'sanitize-html';

/**
 * Every attribute a browser loads or follows. sanitize-html checks the scheme of href, src and cite only, so
 * data-src (WeChat's lazy-loaded images) and poster must be named, or `javascript:` survives in them.
 */
const URL_ATTRIBUTES = ['href', 'src', 'cite', 'data-src', 'poster'];

/** An element that shows something without text: an image, video or audio with a source (sanitised markup quotes every value). */
const MEDIA_WITH_SOURCE = /<(img|video|audio|source)\b[^>]*\s(src|data-src|poster)="[^"]+"/i;

/**
 * Article HTML as WeChat's editor produces it (text, headings, lists, images, tables, light inline styling), with
 * everything that runs dropped: scripts, iframes, event-handler attributes, and any URL that is not http(s)
 * (or mailto: on a link). data: URLs are refused even on images: one can carry an HTML document or a scripted SVG,
 * and articles reference hosted pictures anyway.
 */
const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'section', 'span', 'figure', 'figcaption', 'video', 'audio', 'source', 'mp-style-type'],
  allowedAttributes: {
    a: ['href', 'title', 'target', 'rel'],
    img: ['src', 'alt', 'title', 'width', 'height', 'data-src'],
    video: ['src', 'poster', 'controls', 'width', 'height'],
    audio: ['src', 'controls'],
    source: ['src', 'type'],
    td: ['colspan', 'rowspan', 'align'],
    th: ['colspan', 'rowspan', 'align'],
    '*': ['style', 'class'],
  },
  allowedStyles: {
    '*': {
      color: [/^#[0-9a-f]{3,8}$/i, /^rgba?\([\d\s.,%]+\)$/i, /^[a-z]+$/i],
      'background-color': [/^#[0-9a-f]{3,8}$/i, /^rgba?\([\d\s.,%]+\)$/i, /^[a-z]+$/i],
      'text-align': [/^(left|right|center|justify)$/],
      'font-size': [/^\d+(\.\d+)?(px|em|rem|%)$/],
      'font-weight': [/^(normal|bold|\d{3})$/],
      'line-height': [/^\d+(\.\d+)?(px|em|rem|%)?$/],
      margin: [/^[\d\s.pxemr%auto-]+$/],
      padding: [/^[\d\s.pxemr%-]+$/],
    },
  },
  allowedSchemes: ['http', 'https'],
  allowedSchemesByTag: { a: ['http', 'https', 'mailto'] },
  allowedSchemesAppliedToAttributes: URL_ATTRIBUTES,
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    // A page opened by a link with a target gets window.opener unless told otherwise (reverse tabnabbing), and
    // that holds for named targets as much as _blank. The author's own rel is never kept: rel="opener" undoes it.
    a: (tagName, attribs) => {
      const { rel: _authorsRel, ...rest } = attribs;
      return { tagName, attribs: rest.target === undefined ? rest : { ...rest, rel: 'noopener noreferrer' } };
    },
  },
};

/** Options that keep only the text, to tell whether anything readable is left. */
const TEXT_ONLY: sanitizeHtml.IOptions = { allowedTags: [], allowedAttributes: {} };

/** Whitespace, &nbsp; and the zero-width characters editors leave behind. */
const INVISIBLE = /^[\s\u200b-\u200d\u2060\ufeff]*$/;

/** True when sanitised HTML shows something: readable text, or media with a source. */
function hasVisibleContent(safeHtml: string): boolean {
  if (MEDIA_WITH_SOURCE.test(safeHtml)) return true;
  return !INVISIBLE.test(sanitizeHtml(safeHtml, TEXT_ONLY).replace(/&nbsp;/g, ' '));
}

/**
 * Sanitised article HTML, or '' when nothing visible is left (`<p> </p>`, a lone `<br>`, an image whose only
 * source was unsafe), so that callers refuse empty articles with one check.
 */
export function sanitizeArticleHtml(html: string): string {
  const safe = sanitizeHtml(html, OPTIONS);
  return hasVisibleContent(safe) ? safe : '';
}
