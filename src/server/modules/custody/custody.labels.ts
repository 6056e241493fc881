/**
 * QR labels for seized property (涉案财物 一物一码) and for storage locations, as PDF.
 *
 * Two formats: 'label' is one 50 × 30 mm page per label, the stock of thermal label printers;
 * 'a4' puts the same 50 × 30 mm labels on A4 sheets (3 × 9, centred, light cut lines) for
 * office printers and scissors or pre-cut label sheets.
 *
 * Layout is computed apart from drawing ({@link layoutItemLabel}, {@link layoutLocationLabel})
 * so tests can check that nothing leaves the label without parsing a PDF. Widths come from the
 * real font metrics (Noto Sans Hans, a CFF OpenType font that pdfkit subsets and embeds as
 * CIDFontType0C with a ToUnicode map, so the text stays searchable and copyable), measured
 * once per character per process.
 *
 * The QR code is drawn as vector rectangles from the module matrix: crisp at any printer
 * resolution, and a few hundred bytes per label instead of an image.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';

/** One seized item, as printed on its label. */
export interface LabelItem {
  /** Item code (一物一码), ASCII, e.g. 'WP3304810020260001-003'; encoded in the QR and printed in clear. */
  code: string;
  /** Agency case number, e.g. '海公（刑）立字〔2026〕1234号'. */
  caseNumber: string;
  /** Case code (一案一码), ASCII. */
  caseCode: string;
  /** Item number within the case (1, 2, …), printed as 第3件. */
  itemNo: number;
  /** Item name, e.g. '黑色苹果手机'; truncated with … when it does not fit. */
  name: string;
  /** Item type label, e.g. '电子设备'. */
  typeLabel: string;
  /** Holding agency, e.g. '海宁市公安局'. */
  holder: string;
  /** When it was seized (ISO date or instant); printed as YYYY-MM-DD in Asia/Shanghai. */
  seizedAt?: string | null;
}

/** 'label': one 50 × 30 mm page per label; 'a4': A4 sheets of 3 × 9 such labels. */
export type LabelFormat = 'label' | 'a4';

/** A storage location (room / cabinet / shelf / bin) label. */
export interface LocationLabel {
  /** Location code, ASCII; encoded in the QR and printed in clear. */
  code: string;
  /** Full path of the location, e.g. '一号库房 / A柜 / 第2层'. */
  name: string;
  /** What kind of place it is, e.g. '货架'. */
  kindLabel: string;
  /** The storage centre it belongs to, e.g. '海宁市公安局涉案财物管理中心'. */
  centre: string;
}

// ---------------------------------------------------------------------------------------------
// Geometry. PDF points; 1 mm = 72 / 25.4 pt.

const MM = 72 / 25.4;
/** Label width in points (50 mm). */
export const LABEL_WIDTH = 50 * MM;
/** Label height in points (30 mm). */
export const LABEL_HEIGHT = 30 * MM;

/** A4 sheet in points, and its grid of labels. */
const A4_WIDTH = 210 * MM;
const A4_HEIGHT = 297 * MM;
/** 3 × 9 leaves 30 mm left and right and 13.5 mm top and bottom: inside every office printer's printable area. */
export const A4_COLUMNS = 3;
export const A4_ROWS = 9;
export const LABELS_PER_A4 = A4_COLUMNS * A4_ROWS;
/** The A4 sheet's header line (title, count, page) in the top margin. */
const HEADER_SIZE = 7;

/**
 * The QR box, quiet zone included: 24 mm square, 0.5 mm from the left edge, centred vertically.
 * The quiet zone (4 modules, ≈2.3 mm) is inside the box, so it is label, not liner.
 */
const QR_BOX = 24 * MM;
const QR_X = 0.5 * MM;
const QR_Y = (LABEL_HEIGHT - QR_BOX) / 2;
/** Quiet zone in modules, as ISO/IEC 18004 asks. */
const QUIET_ZONE = 4;

/** The text column, right of the QR box's quiet zone. */
const COL_X = QR_X + QR_BOX + 0.5 * MM;
const COL_RIGHT = LABEL_WIDTH - 1.2 * MM;
const COL_WIDTH = COL_RIGHT - COL_X;
const COL_TOP = 2 * MM;
const COL_BOTTOM = LABEL_HEIGHT - 1.8 * MM;

/**
 * Noto Sans Hans ink extents relative to the baseline, in em (the font's OS/2 typo ascent and
 * descent: 880 / -120 per 1000). Lines are placed by baseline with these, not with the font's
 * hhea metrics that pdfkit uses for its own top-of-line placement, which leave ~0.3 em of air.
 */
const ASCENT = 0.88;
const DESCENT = 0.12;
/** Line pitch as a multiple of the font size: CJK text wants some leading to stay legible. */
const LEADING = 1.22;

// ---------------------------------------------------------------------------------------------
// Fonts: read once per process, registered into each document from the cached buffers.

/** The three weights a label uses: regular for details, medium for codes, bold for names. */
export type LabelFont = 'regular' | 'medium' | 'bold';
const FONT_FILES: Record<LabelFont, string> = {
  regular: 'NotoSansHans-Regular.otf',
  medium: 'NotoSansHans-Medium.otf',
  bold: 'NotoSansHans-Bold.otf',
};
const FONT_NAMES = Object.keys(FONT_FILES) as LabelFont[];

let fontBuffers: Record<LabelFont, Buffer> | null = null;

/** The font files of @embedpdf/fonts-sc, found through module resolution so any cwd works. */
function loadFonts(): Record<LabelFont, Buffer> {
  if (fontBuffers) return fontBuffers;
  // The package exports only its entry ('dist/index.cjs'), not package.json: go up from there.
  const entry = createRequire(import.meta.url).resolve('@embedpdf/fonts-sc');
  const dir = join(dirname(entry), '..', 'fonts');
  const loaded = {} as Record<LabelFont, Buffer>;
  for (const name of FONT_NAMES) loaded[name] = readFileSync(join(dir, FONT_FILES[name]));
  fontBuffers = loaded;
  return loaded;
}

function registerFonts(doc: PDFKit.PDFDocument): void {
  const buffers = loadFonts();
  for (const name of FONT_NAMES) doc.registerFont(name, buffers[name]);
}

/** Width of a string in em (i.e. at font size 1). */
export type Measure = (font: LabelFont, text: string) => number;

let measureDoc: PDFKit.PDFDocument | null = null;
const advances: Record<LabelFont, Map<string, number>> = { regular: new Map(), medium: new Map(), bold: new Map() };

/**
 * The process-wide measure: each character's advance is asked of the font once and cached, so
 * laying out a thousand labels costs map look-ups, not shaping. Summing advances ignores kerning
 * and ligatures: in these fonts kerning only narrows text, and the one widening seen (Latin 'ffi',
 * +0.013 em) is far inside the label's 1.2 mm right margin.
 */
export function fontMeasure(): Measure {
  return measureText;
}

function measureText(font: LabelFont, text: string): number {
  const cache = advances[font];
  let width = 0;
  for (const ch of text) {
    let w = cache.get(ch);
    if (w === undefined) {
      if (!measureDoc) {
        // A document that is never ended: only its font objects are used, for widthOfString.
        measureDoc = new PDFDocument({ autoFirstPage: false });
        registerFonts(measureDoc);
      }
      w = measureDoc.font(font).fontSize(1).widthOfString(ch);
      cache.set(ch, w);
    }
    width += w;
  }
  return width;
}

// ---------------------------------------------------------------------------------------------
// Text fitting, pure.

/** Punctuation that must not start a line (避头): it stays with the character before it. */
const NO_LINE_START = new Set([...'，。、；：？！）》」』】〕〉”’…,.;:?!)]}%·/']);
/** Punctuation that must not end a line (避尾): it stays with the character after it. */
const NO_LINE_END = new Set([...'（《「『【〔〈“‘([{']);
/** Runs of these are kept together (numbers, codes, Latin words). */
const WORD_CHAR = /[A-Za-z0-9_\-.#@+]/;

const SHORT_WORD_END = /(?:^|[^A-Za-z0-9])[A-Za-z0-9]{1,4}$/;
const HAN = /^\p{Script=Han}$/u;
const DIGIT = /^[0-9]$/;

/**
 * Cut text into unbreakable pieces: Latin/digit runs, single CJK characters, spaces, with
 * punctuation attached. A short number or letter stays with the Han character after it and an
 * ordinal 第 with its number, so 'A柜', '第2层', '1234号' never break apart, while long Latin
 * words ('MateBook') stay breakable from their neighbours.
 */
function tokens(text: string): string[] {
  const out: string[] = [];
  let glueNext = false;
  for (const ch of text) {
    const last = out.length - 1;
    const prev = last >= 0 ? out[last] : '';
    if (glueNext && last >= 0) {
      out[last] += ch;
      glueNext = NO_LINE_END.has(ch);
    } else if (last >= 0 && WORD_CHAR.test(ch) && WORD_CHAR.test(prev.slice(-1))) {
      out[last] += ch;
    } else if (DIGIT.test(ch) && prev === '第') {
      out[last] += ch;
    } else if (HAN.test(ch) && SHORT_WORD_END.test(prev)) {
      out[last] += ch;
    } else if (last >= 0 && NO_LINE_START.has(ch)) {
      // 'A / B' breaks after the slash, not before it: a spaced separator joins what precedes it.
      if (prev === ' ' && last > 0) {
        out.pop();
        out[last - 1] += ` ${ch}`;
      } else {
        out[last] += ch;
      }
    } else {
      out.push(ch);
      glueNext = NO_LINE_END.has(ch);
    }
  }
  return out;
}

/** Options of {@link fitText}. */
export interface FitOptions {
  /** Line width, in the unit `measure` returns. */
  maxWidth: number;
  /** At most this many lines; the last one ends in the ellipsis when text is left over. */
  maxLines: number;
  /** Appended to a cut line; '…' by default. */
  ellipsis?: string;
}

/** Lines that fit, and whether some text had to be cut. */
export interface FitResult {
  lines: string[];
  truncated: boolean;
}

/**
 * Wrap `text` into at most `maxLines` lines no wider than `maxWidth`, breaking between CJK
 * characters but not inside numbers or Latin words (unless one alone is too wide), keeping
 * closing punctuation off line starts and opening punctuation off line ends, and ending with
 * '…' when text is cut. Whitespace runs count as one space. Pure: `measure` gives the widths.
 */
export function fitText(text: string, measure: (s: string) => number, opts: FitOptions): FitResult {
  const ellipsis = opts.ellipsis ?? '…';
  const maxLines = Math.max(1, Math.floor(opts.maxLines));
  const clean = text.replace(/\s+/g, ' ').trim();
  if (!clean) return { lines: [], truncated: false };
  const fits = (s: string) => measure(s) <= opts.maxWidth;

  const lines: string[] = [];
  let line = '';
  const pieces = tokens(clean);
  let i = 0;
  for (; i < pieces.length && lines.length < maxLines; i++) {
    const piece = pieces[i];
    if (line === '' && piece === ' ') continue;
    if (fits(line + piece)) {
      line += piece;
      continue;
    }
    if (line.trim() === '' || !fits(piece.trim())) {
      // Too wide on its own (a long number or code): break it by character.
      for (const ch of piece) {
        if (line !== '' && !fits(line + ch)) {
          lines.push(line.trimEnd());
          line = '';
          if (lines.length === maxLines) break;
        }
        if (line === '' && ch === ' ') continue;
        line += ch;
      }
      if (lines.length === maxLines) {
        // Whatever of this piece was not placed is left over.
        return finish(lines, ellipsis, fits, true);
      }
      continue;
    }
    lines.push(line.trimEnd());
    line = piece === ' ' ? '' : piece;
  }
  if (lines.length < maxLines) {
    if (line.trim() !== '') lines.push(line.trimEnd());
    return { lines, truncated: false };
  }
  // maxLines full: anything not yet placed (the current line or later pieces) is cut.
  const leftover = line.trim() !== '' || i < pieces.length;
  return finish(lines, ellipsis, fits, leftover);
}

/** End the last line with the ellipsis, shortening it until it fits. */
function finish(lines: string[], ellipsis: string, fits: (s: string) => boolean, truncated: boolean): FitResult {
  if (!truncated) return { lines, truncated: false };
  const chars = [...lines[lines.length - 1]];
  while (chars.length > 0 && !fits(chars.join('').trimEnd() + ellipsis)) chars.pop();
  lines[lines.length - 1] = chars.join('').trimEnd() + ellipsis;
  return { lines, truncated: true };
}

/** How a code is printed: as large as allowed, condensed a little before being made smaller. */
export interface CodeFit {
  size: number;
  /** Horizontal scaling, 1 = none (PDF Tz). */
  scale: number;
  /** One line, or two when even the smallest condensed size is too wide (never cut: it is an identifier). */
  lines: string[];
}

const CODE_MIN_SCALE = 0.82;
const CODE_MIN_SIZE = 4;

/**
 * Fit a code (ASCII identifier) on one line of `maxWidth`: `maxSize` if it fits, else condensed
 * down to 82 %, then smaller down to 4 pt; past that it is split in two lines, at the last '-'
 * when that splits it near the middle. `emWidth` is the code's width at size 1. A code is never
 * truncated: it is what a person types when the QR cannot be read.
 */
export function fitCode(code: string, emWidth: (s: string) => number, maxWidth: number, maxSize: number): CodeFit {
  const w = emWidth(code);
  if (w * maxSize <= maxWidth) return { size: maxSize, scale: 1, lines: [code] };
  const scale = Math.max(CODE_MIN_SCALE, maxWidth / (w * maxSize));
  const size = Math.min(maxSize, maxWidth / (w * scale));
  if (size >= CODE_MIN_SIZE) return { size: floor2(size), scale: floor3(scale), lines: [code] };
  // Split at the last '-' when that halves it roughly, else in the middle: the narrower the
  // wider half, the larger the type.
  const dash = code.lastIndexOf('-');
  const cut = dash > 0 && Math.max(dash, code.length - dash) <= 0.6 * code.length ? dash : Math.ceil(code.length / 2);
  const parts = [code.slice(0, cut), code.slice(cut)];
  const widest = Math.max(...parts.map(emWidth));
  const size2 = Math.max(2, Math.min(maxSize, maxWidth / (widest * CODE_MIN_SCALE)));
  return { size: floor2(size2), scale: CODE_MIN_SCALE, lines: parts };
}

/** Rounded down, so a fitted width never grows past its limit. */
const floor2 = (n: number) => Math.floor(n * 100) / 100;
const floor3 = (n: number) => Math.floor(n * 1000) / 1000;

/** 'YYYY-MM-DD' in Asia/Shanghai (fixed UTC+8: no DST since 1991), or null when absent or invalid. */
export function shanghaiDate(iso: string | null | undefined): string | null {
  if (!iso) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  return new Date(t + 8 * 3_600_000).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Layout, pure given a Measure.

/** A line of text placed on the label: `y` is the baseline, `width` the measured width after scaling. */
export interface TextOp {
  font: LabelFont;
  size: number;
  x: number;
  y: number;
  text: string;
  /** Horizontal scaling, 1 = none. */
  scale: number;
  width: number;
}

/** What to draw on one label, in label coordinates (points, origin top left). */
export interface LabelLayout {
  qr: { x: number; y: number; size: number };
  texts: TextOp[];
  /** Thin horizontal rules. */
  rules: { x1: number; x2: number; y: number }[];
  /** Outlined boxes (the kind badge of location labels). */
  boxes: { x: number; y: number; w: number; h: number }[];
}

/** The text column bounds, for tests and callers that want to check a layout. */
export const LABEL_TEXT_COLUMN = { left: COL_X, right: COL_RIGHT, top: COL_TOP, bottom: COL_BOTTOM } as const;

function textOp(measure: Measure, font: LabelFont, size: number, x: number, y: number, text: string, scale = 1): TextOp {
  return { font, size, x, y, text, scale, width: measure(font, text) * size * scale };
}

/** Place a block of lines downwards from `top`; returns the ops and the y below the block. */
function linesDown(measure: Measure, font: LabelFont, size: number, lines: string[], top: number): { ops: TextOp[]; bottom: number } {
  const ops = lines.map((line, k) => textOp(measure, font, size, COL_X, top + ASCENT * size + k * LEADING * size, line));
  const bottom = lines.length === 0 ? top : top + (lines.length - 1) * LEADING * size + (ASCENT + DESCENT) * size;
  return { ops, bottom };
}

/** A line with one text on the left and another flush right; the left one gives way. */
function splitLine(measure: Measure, size: number, baseline: number, left: string, right: string | null): TextOp[] {
  const ops: TextOp[] = [];
  let avail = COL_WIDTH;
  if (right) {
    const rw = measure('regular', right) * size;
    ops.push(textOp(measure, 'regular', size, COL_RIGHT - rw, baseline, right));
    avail = COL_WIDTH - rw - GAP;
  }
  const fitted = fitText(left, (s) => measure('regular', s) * size, { maxWidth: avail, maxLines: 1 });
  if (fitted.lines.length) ops.unshift(textOp(measure, 'regular', size, COL_X, baseline, fitted.lines[0]));
  return ops;
}

/** Sizes, in points: chosen for 203-dpi thermal printers, where CJK under 6 pt starts to blur. */
const SMALL = 6;
const CODE_MAX = 7;
/** Space between a left text and a flush-right one on the same line. */
const GAP = 4;
/** Space above the code line, and between the name and whatever is below it. */
const CODE_GAP = 1.2;
const NAME_GAP = 1.5;
const NAME_SIZES = [10, 9];

/**
 * Lay out an item label: QR left; right, from the top: case number (≤ 2 lines), a rule, the item
 * name (bold, ≤ 2 lines, cut with …); from the bottom up: holder (≤ 2 lines) with 第n件 flush
 * right, type with the seizure date flush right, and the item code in clear (never cut: condensed
 * or made smaller). The name takes whatever height is left between the two blocks.
 */
export function layoutItemLabel(item: LabelItem, measure: Measure): LabelLayout {
  const texts: TextOp[] = [];
  const rules: LabelLayout['rules'] = [];
  const pitch = LEADING * SMALL;

  // Bottom block, from the bottom up. 第n件 sits right of the holder's first line.
  const itemNo = `第${item.itemNo}件`;
  const noWidth = measure('medium', itemNo) * SMALL;
  const holder = fitText(item.holder, (s) => measure('regular', s) * SMALL, { maxWidth: COL_WIDTH - noWidth - GAP, maxLines: 2 });
  const holderLines = holder.lines.length ? holder.lines : [''];
  let base = COL_BOTTOM - DESCENT * SMALL - (holderLines.length - 1) * pitch;
  texts.push(textOp(measure, 'medium', SMALL, COL_RIGHT - noWidth, base, itemNo));
  holderLines.forEach((line, k) => {
    if (line) texts.push(textOp(measure, 'regular', SMALL, COL_X, base + k * pitch, line));
  });
  base -= pitch;
  texts.push(...splitLine(measure, SMALL, base, item.typeLabel, shanghaiDate(item.seizedAt)));
  const bottomTop = codeBlock(measure, item.code, base - ASCENT * SMALL - CODE_GAP, texts);

  // Top block.
  const caseLines = fitText(item.caseNumber, (s) => measure('regular', s) * SMALL, { maxWidth: COL_WIDTH, maxLines: 2 });
  const caseBlock = linesDown(measure, 'regular', SMALL, caseLines.lines, COL_TOP);
  texts.push(...caseBlock.ops);
  const ruleY = caseBlock.bottom + 1.4;
  rules.push({ x1: COL_X, x2: COL_RIGHT, y: ruleY });
  const nameTop = ruleY + 1.6;
  texts.push(...nameBlock(measure, item.name, nameTop, bottomTop - NAME_GAP - nameTop));

  return { qr: { x: QR_X, y: QR_Y, size: QR_BOX }, texts: readingOrder(texts), rules, boxes: [] };
}

/** Top to bottom, left to right: the order the PDF's text is copied, searched and read aloud in. */
function readingOrder(texts: TextOp[]): TextOp[] {
  return texts.sort((a, b) => a.y - b.y || a.x - b.x);
}

/** The code in clear, its last line's descent ending at `bottom`; returns the top of its ink. */
function codeBlock(measure: Measure, code: string, bottom: number, texts: TextOp[]): number {
  const fit = fitCode(code, (s) => measure('medium', s), COL_WIDTH, CODE_MAX);
  let base = bottom - DESCENT * fit.size;
  for (let k = fit.lines.length - 1; k >= 0; k--) {
    texts.push(textOp(measure, 'medium', fit.size, COL_X, base, fit.lines[k], fit.scale));
    if (k > 0) base -= LEADING * fit.size;
  }
  return base - ASCENT * fit.size;
}

/** The name in the largest size whose lines fit the room: 2 lines if there is room, else 1, cut with …. */
function nameBlock(measure: Measure, name: string, top: number, room: number, maxLines = 2): TextOp[] {
  let best: TextOp[] = [];
  for (const size of NAME_SIZES) {
    const linesRoom = Math.max(1, Math.min(maxLines, Math.floor((room - (ASCENT + DESCENT) * size) / (LEADING * size)) + 1));
    const fitted = fitText(name, (s) => measure('bold', s) * size, { maxWidth: COL_WIDTH, maxLines: linesRoom });
    best = linesDown(measure, 'bold', size, fitted.lines, top).ops;
    if (!fitted.truncated) break;
  }
  return best;
}

/**
 * Lay out a location label: QR left; right: the kind in an outlined badge, the location path in
 * bold (≤ 3 lines), then from the bottom up: the storage centre (≤ 2 lines) and the code in clear.
 */
export function layoutLocationLabel(loc: LocationLabel, measure: Measure): LabelLayout {
  const texts: TextOp[] = [];
  const boxes: LabelLayout['boxes'] = [];
  const pitch = LEADING * SMALL;

  const centre = fitText(loc.centre, (s) => measure('regular', s) * SMALL, { maxWidth: COL_WIDTH, maxLines: 2 });
  const centreTop = COL_BOTTOM - DESCENT * SMALL - (Math.max(1, centre.lines.length) - 1) * pitch - ASCENT * SMALL;
  texts.push(...linesDown(measure, 'regular', SMALL, centre.lines, centreTop).ops);
  const bottomTop = codeBlock(measure, loc.code, centreTop - CODE_GAP, texts);

  // The kind badge: text inset in a thin box, top left of the column.
  const padX = 1.6;
  const padY = 1.1;
  const kind = fitText(loc.kindLabel, (s) => measure('medium', s) * SMALL, { maxWidth: COL_WIDTH - 2 * padX, maxLines: 1 });
  let top = COL_TOP;
  if (kind.lines.length) {
    const op = textOp(measure, 'medium', SMALL, COL_X + padX, top + padY + ASCENT * SMALL, kind.lines[0]);
    texts.push(op);
    boxes.push({ x: COL_X, y: top, w: op.width + 2 * padX, h: SMALL + 2 * padY });
    top += SMALL + 2 * padY + 2.5;
  }
  texts.push(...nameBlock(measure, loc.name, top, bottomTop - NAME_GAP - top, 3));
  return { qr: { x: QR_X, y: QR_Y, size: QR_BOX }, texts: readingOrder(texts), rules: [], boxes };
}

// ---------------------------------------------------------------------------------------------
// QR.

/** A QR symbol's modules, row-major, 1 = dark; quiet zone not included. */
export interface QrMatrix {
  size: number;
  modules: Uint8Array;
}

/** The QR modules for a payload, error correction M (15 %: survives scuffs on a bag). */
export function qrMatrix(payload: string): QrMatrix {
  const qr = QRCode.create(payload, { errorCorrectionLevel: 'M' });
  return { size: qr.modules.size, modules: qr.modules.data };
}

/** baseUrl: when given, the QR encodes `${baseUrl}/c/${code}` so a phone camera opens the item page; otherwise just the code. */
export function labelQrPayload(code: string, baseUrl?: string | null): string {
  const base = baseUrl?.trim().replace(/\/+$/, '');
  return base ? `${base}/c/${encodeURIComponent(code)}` : code;
}

/**
 * The dark modules as rectangles in module units: runs of a row, merged downwards with identical
 * runs of the rows below (finder patterns and bars become a few rectangles, not dozens).
 */
export function qrRects(m: QrMatrix): { x: number; y: number; w: number; h: number }[] {
  const rects: { x: number; y: number; w: number; h: number }[] = [];
  let open = new Map<string, { x: number; y: number; w: number; h: number }>();
  for (let r = 0; r <= m.size; r++) {
    const next = new Map<string, { x: number; y: number; w: number; h: number }>();
    let c = 0;
    while (r < m.size && c < m.size) {
      if (!m.modules[r * m.size + c]) {
        c++;
        continue;
      }
      const start = c;
      while (c < m.size && m.modules[r * m.size + c]) c++;
      const key = `${start}:${c}`;
      const rect = open.get(key);
      if (rect) {
        rect.h++;
        open.delete(key);
        next.set(key, rect);
      } else {
        next.set(key, { x: start, y: r, w: c - start, h: 1 });
      }
    }
    for (const rect of open.values()) rects.push(rect);
    open = next;
  }
  return rects;
}

/**
 * One filled path, in module units under a scaling transform: integer coordinates keep the
 * content stream short, and one path leaves no hairline seams between touching modules.
 */
function drawQr(doc: PDFKit.PDFDocument, m: QrMatrix, x: number, y: number, box: number): void {
  const unit = box / (m.size + 2 * QUIET_ZONE);
  doc.save().transform(unit, 0, 0, unit, x + QUIET_ZONE * unit, y + QUIET_ZONE * unit);
  for (const r of qrRects(m)) doc.rect(r.x, r.y, r.w, r.h);
  doc.fill('#000000').restore();
}

// ---------------------------------------------------------------------------------------------
// Drawing.

/** Pure black only: thermal printers dither grey into speckles. */
const INK = '#000000';

/** pdfkit's text options lack horizontalScaling in @types/pdfkit, though pdfkit 0.20 supports it. */
type TextOptions = PDFKit.Mixins.TextOptions & { horizontalScaling?: number };

function drawLayout(doc: PDFKit.PDFDocument, layout: LabelLayout, qr: QrMatrix): void {
  drawQr(doc, qr, layout.qr.x, layout.qr.y, layout.qr.size);
  if (layout.rules.length || layout.boxes.length) {
    doc.save().lineWidth(0.4).strokeColor(INK);
    for (const r of layout.rules) doc.moveTo(r.x1, r.y).lineTo(r.x2, r.y);
    for (const b of layout.boxes) doc.roundedRect(b.x, b.y, b.w, b.h, 1);
    doc.stroke().restore();
  }
  for (const t of layout.texts) {
    const options: TextOptions = { lineBreak: false, baseline: 'alphabetic' };
    if (t.scale !== 1) options.horizontalScaling = Math.round(t.scale * 1000) / 10;
    doc.font(t.font).fontSize(t.size).fillColor(INK).text(t.text, t.x, t.y, options);
  }
}

function newDocument(title: string): { doc: PDFKit.PDFDocument; done: Promise<Buffer> } {
  const doc = new PDFDocument({
    autoFirstPage: false,
    margin: 0,
    lang: 'zh-CN',
    displayTitle: true,
    info: { Title: title, Creator: 'Zhian 智安', Producer: 'Zhian 智安 (PDFKit)' },
  });
  registerFonts(doc);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { doc, done };
}

interface Prepared {
  layout: LabelLayout;
  qr: QrMatrix;
}

async function render(prepared: Prepared[], format: LabelFormat, title: string): Promise<Buffer> {
  if (prepared.length === 0) throw new RangeError('no labels to render');
  const { doc, done } = newDocument(title);
  if (format === 'label') {
    for (const p of prepared) {
      doc.addPage({ size: [LABEL_WIDTH, LABEL_HEIGHT], margin: 0 });
      drawLayout(doc, p.layout, p.qr);
    }
  } else {
    const pages = Math.ceil(prepared.length / LABELS_PER_A4);
    const left = (A4_WIDTH - A4_COLUMNS * LABEL_WIDTH) / 2;
    const top = (A4_HEIGHT - A4_ROWS * LABEL_HEIGHT) / 2;
    for (let page = 0; page < pages; page++) {
      doc.addPage({ size: 'A4', margin: 0 });
      const slice = prepared.slice(page * LABELS_PER_A4, (page + 1) * LABELS_PER_A4);
      slice.forEach((p, k) => {
        doc.save().translate(left + (k % A4_COLUMNS) * LABEL_WIDTH, top + Math.floor(k / A4_COLUMNS) * LABEL_HEIGHT);
        drawLayout(doc, p.layout, p.qr);
        doc.restore();
      });
      drawCutLines(doc, left, top);
      const tail = `  ·  共 ${prepared.length} 张  ·  第 ${page + 1} / ${pages} 页`;
      const room = A4_COLUMNS * LABEL_WIDTH - measureText('regular', tail) * HEADER_SIZE;
      const head = fitText(title, (s) => measureText('regular', s) * HEADER_SIZE, { maxWidth: room, maxLines: 1 }).lines[0] ?? '';
      doc.font('regular').fontSize(HEADER_SIZE).fillColor('#888888').text(head + tail, left, top - 5 * MM, { lineBreak: false, baseline: 'alphabetic' });
    }
  }
  doc.end();
  return done;
}

/** Light dashed lines on every cell edge, running 4 mm into the margins as crop guides. */
function drawCutLines(doc: PDFKit.PDFDocument, left: number, top: number): void {
  const right = left + A4_COLUMNS * LABEL_WIDTH;
  const bottom = top + A4_ROWS * LABEL_HEIGHT;
  const over = 4 * MM;
  doc.save().lineWidth(0.25).strokeColor('#b0b0b0').dash(2, { space: 2 });
  for (let c = 0; c <= A4_COLUMNS; c++) {
    const x = left + c * LABEL_WIDTH;
    doc.moveTo(x, top - over).lineTo(x, bottom + over);
  }
  for (let r = 0; r <= A4_ROWS; r++) {
    const y = top + r * LABEL_HEIGHT;
    doc.moveTo(left - over, y).lineTo(right + over, y);
  }
  doc.stroke().undash().restore();
}

/**
 * Render item labels as a PDF: one 50 × 30 mm page per item ('label') or A4 sheets of 3 × 9
 * ('a4'). With `baseUrl` the QR opens `${baseUrl}/c/${code}`; without, it holds just the code.
 * Throws a RangeError when `items` is empty (a PDF needs a page).
 */
export async function renderLabels(items: LabelItem[], opts: { format: LabelFormat; baseUrl?: string | null; title?: string }): Promise<Buffer> {
  const measure = fontMeasure();
  const prepared = items.map((item) => ({ layout: layoutItemLabel(item, measure), qr: qrMatrix(labelQrPayload(item.code, opts.baseUrl)) }));
  return render(prepared, opts.format, opts.title?.trim() || '涉案财物标签');
}

/** Same for storage locations (room / cabinet / shelf / bin): code, name (e.g. '一号库房 / A柜 / 第2层'), kind label. */
export async function renderLocationLabels(items: LocationLabel[], opts: { format: LabelFormat; baseUrl?: string | null }): Promise<Buffer> {
  const measure = fontMeasure();
  const prepared = items.map((loc) => ({ layout: layoutLocationLabel(loc, measure), qr: qrMatrix(labelQrPayload(loc.code, opts.baseUrl)) }));
  return render(prepared, opts.format, '存放位置标签');
}
