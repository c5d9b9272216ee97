import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * The XML of WeChat's pushes and passive replies: written as WeChat writes it (an `<xml>` root, one element a line,
 * text in CDATA, numbers bare), and read defensively, since a reply is whatever a developer's server sent back.
 */

/** A string goes out in CDATA; a number or bigint bare (64-bit ids as bigint, never through a JS number). */
export type XmlValue = string | number | bigint | XmlFields;
/** Child elements in order; a name may repeat (the `<item>`s of a list). */
export type XmlFields = ReadonlyArray<readonly [name: string, value: XmlValue]>;

const ELEMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Characters XML 1.0 does not allow anywhere, CDATA included: a receiver's parser would reject the whole push.
// eslint-disable-next-line no-control-regex
const NOT_XML_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function cdata(text: string): string {
  // "]]>" would end the section early: split it across two sections, as every XML writer does.
  return `<![CDATA[${text.replace(NOT_XML_CHARACTERS, '\uFFFD').replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function renderValue(value: XmlValue): string {
  if (typeof value === 'string') return cdata(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`an XML number must be finite, got ${value}`);
    return String(value);
  }
  return value.map(([name, child]) => element(name, child)).join('');
}

function element(name: string, value: XmlValue): string {
  if (!ELEMENT_NAME.test(name)) throw new RangeError(`not an XML element name: ${JSON.stringify(name)}`);
  return `<${name}>${renderValue(value)}</${name}>`;
}

/** `<xml>` with one top-level element a line, byte for byte the layout of WeChat's own pushes. */
export function renderWechatXml(fields: XmlFields): string {
  return `<xml>${fields.map(([name, value]) => element(name, value)).join('\n')}\n</xml>`;
}

/** The body of a push in safe mode: the recipient account and the encrypted push, nothing else. */
export function renderEncryptedPush(toUserName: string, encrypted: string): string {
  return renderWechatXml([
    ['ToUserName', toUserName],
    ['Encrypt', encrypted],
  ]);
}

export class WechatXmlError extends Error {
  override name = 'WechatXmlError';
  constructor(
    readonly reason: 'too_large' | 'doctype' | 'malformed' | 'not_wechat_xml',
    message: string,
  ) {
    super(message);
  }
}

/** A passive reply is a few hundred bytes; WeChat itself refuses large ones. */
export const MAX_WECHAT_XML_BYTES = 64 * 1024;

/** Element text as strings (never parsed into numbers, so 64-bit ids stay exact), children as nested objects. */
export type ParsedXml = { [name: string]: string | ParsedXml | Array<string | ParsedXml> };

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  // A DOCTYPE is refused before parsing, so no entity can be declared: what is left to decode is XML's five
  // predefined entities and character references (`&#20320;`, which the parser handles with its HTML table), each
  // one character; the limits are a second fence.
  processEntities: { enabled: true, maxEntityCount: 1, maxTotalExpansions: 10_000, maxExpandedLength: MAX_WECHAT_XML_BYTES },
  htmlEntities: true,
});

/**
 * Reads WeChat-style XML (a passive reply, or a push in a test's receiver) into the children of its `<xml>` root.
 * Refuses, with a reason, anything over 64 KiB, any DOCTYPE or entity declaration (billion laughs, external
 * entities), and anything that is not well-formed or not rooted at `<xml>`.
 */
export function parseWechatXml(text: string): ParsedXml {
  if (Buffer.byteLength(text, 'utf8') > MAX_WECHAT_XML_BYTES) {
    throw new WechatXmlError('too_large', `the XML is larger than ${MAX_WECHAT_XML_BYTES} bytes`);
  }
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw new WechatXmlError('doctype', 'the XML declares a DOCTYPE or entities, which are not accepted');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new WechatXmlError('malformed', `the XML is not well-formed: ${valid.err.msg} (line ${valid.err.line})`);
  const document = parser.parse(text) as Record<string, unknown>;
  const roots = Object.keys(document);
  const root = document.xml;
  if (roots.length !== 1 || root === undefined) throw new WechatXmlError('not_wechat_xml', 'the document root is not <xml>');
  // An empty <xml></xml> parses to "".
  return typeof root === 'object' && root !== null && !Array.isArray(root) ? (root as ParsedXml) : {};
}
