import { inflateSync } from 'node:zlib';
import jsQR from 'jsqr';
import { describe, it, expect } from 'vitest';
import {
  LABEL_HEIGHT,
  LABEL_TEXT_COLUMN,
  LABEL_WIDTH,
  LABELS_PER_A4,
  fitCode,
  fitText,
  fontMeasure,
  labelQrPayload,
  layoutItemLabel,
  layoutLocationLabel,
  qrMatrix,
  qrRects,
  renderLabels,
  renderLocationLabels,
  shanghaiDate,
  type LabelItem,
  type LabelLayout,
  type QrMatrix,
} from './custody.labels.js';

const BASE = 'https://zhian.haining.gov.cn';

const phone: LabelItem = {
  code: 'WP3304810020260001-003',
  caseNumber: '海公（刑）立字〔2026〕1234号',
  caseCode: 'AJ3304810020260001',
  itemNo: 3,
  name: '黑色苹果手机',
  typeLabel: '电子设备',
  holder: '海宁市公安局',
  seizedAt: '2026-03-05T10:20:00+08:00',
};
const shelf = { code: 'LC33048100-R01-A-02', name: '一号库房 / A柜 / 第2层', kindLabel: '货架层', centre: '海宁市公安局涉案财物管理中心' };
const LONG_NAME = '银色华为MateBook笔记本电脑（含充电器一只、无线鼠标一只及黑色双肩电脑包一个，包内另有U盘三个）';

// ---------------------------------------------------------------------------------------------
// A minimal reader for the PDFs pdfkit writes (no object streams, Flate streams, Type0 fonts
// with a ToUnicode CMap): enough to count pages, read boxes and metadata, and extract text the
// way a viewer's copy and search would, through the ToUnicode maps.

interface PdfObject {
  dict: string;
  stream: Buffer | null;
}

class MiniPdf {
  readonly objects = new Map<number, PdfObject>();
  private readonly cmaps = new Map<number, Map<number, string>>();

  constructor(readonly bytes: Buffer) {
    const text = bytes.toString('latin1');
    const re = /(\d+) 0 obj\n/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      const start = m.index + m[0].length;
      const end = text.indexOf('endobj', start);
      const body = text.slice(start, end);
      const s = body.indexOf('stream\n');
      if (s >= 0 && body.startsWith('<<')) {
        const dict = body.slice(0, s);
        const length = Number(/\/Length (\d+)/.exec(dict)?.[1]);
        const raw = bytes.subarray(start + s + 7, start + s + 7 + length);
        this.objects.set(Number(m[1]), { dict, stream: /\/FlateDecode/.test(dict) ? inflateSync(raw) : raw });
      } else {
        this.objects.set(Number(m[1]), { dict: body, stream: null });
      }
      re.lastIndex = end;
    }
  }

  obj(ref: number): PdfObject {
    const o = this.objects.get(ref);
    if (!o) throw new Error(`no object ${ref}`);
    return o;
  }

  /** Page object numbers in order, from the (single-level) page tree pdfkit writes. */
  pages(): number[] {
    const root = Number(/\/Root (\d+) 0 R/.exec(this.bytes.toString('latin1'))?.[1]);
    const pagesRef = Number(/\/Pages (\d+) 0 R/.exec(this.obj(root).dict)?.[1]);
    const kids = /\/Kids \[([^\]]*)\]/.exec(this.obj(pagesRef).dict)?.[1] ?? '';
    return [...kids.matchAll(/(\d+) 0 R/g)].map((k) => Number(k[1]));
  }

  mediaBox(page: number): number[] {
    return (/\/MediaBox \[([^\]]*)\]/.exec(this.obj(page).dict)?.[1] ?? '').trim().split(/\s+/).map(Number);
  }

  content(page: number): string {
    const ref = Number(/\/Contents (\d+) 0 R/.exec(this.obj(page).dict)?.[1]);
    return this.obj(ref).stream!.toString('latin1');
  }

  /** Resource name (F1…) → font object number. */
  private fonts(page: number): Map<string, number> {
    let res = this.obj(page).dict;
    const resRef = /\/Resources (\d+) 0 R/.exec(res);
    if (resRef) res = this.obj(Number(resRef[1])).dict;
    const fontDict = /\/Font <<([^>]*)>>/.exec(res)?.[1] ?? '';
    return new Map([...fontDict.matchAll(/\/(\S+) (\d+) 0 R/g)].map((f) => [f[1], Number(f[2])]));
  }

  /** The font's ToUnicode map: CID → text. */
  private cmap(font: number): Map<number, string> {
    const cached = this.cmaps.get(font);
    if (cached) return cached;
    const ref = Number(/\/ToUnicode (\d+) 0 R/.exec(this.obj(font).dict)?.[1]);
    const src = this.obj(ref).stream!.toString('latin1');
    const map = new Map<number, string>();
    const utf16 = (hex: string) => Buffer.from(hex, 'hex').swap16().toString('utf16le');
    for (const block of src.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
      for (const r of block[1].matchAll(/<([0-9a-f]+)>\s*<([0-9a-f]+)>\s*(\[[^\]]*\]|<[0-9a-f]+>)/gi)) {
        const lo = parseInt(r[1], 16);
        const hi = parseInt(r[2], 16);
        if (r[3].startsWith('[')) {
          [...r[3].matchAll(/<([0-9a-f]+)>/gi)].forEach((d, k) => map.set(lo + k, utf16(d[1])));
        } else {
          const first = parseInt(r[3].slice(1, -1), 16);
          for (let c = lo; c <= hi; c++) map.set(c, String.fromCharCode(first + c - lo));
        }
      }
    }
    for (const block of src.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
      for (const r of block[1].matchAll(/<([0-9a-f]+)>\s*<([0-9a-f]+)>/gi)) map.set(parseInt(r[1], 16), utf16(r[2]));
    }
    this.cmaps.set(font, map);
    return map;
  }

  /** The page's text, one line per BT…ET block, decoded through the fonts' ToUnicode maps. */
  text(page: number): string {
    const fonts = this.fonts(page);
    const lines: string[] = [];
    for (const block of this.content(page).matchAll(/BT\n([\s\S]*?)\nET/g)) {
      let font = -1;
      let line = '';
      for (const op of block[1].matchAll(/\/(\S+) [\d.]+ Tf|\[([^\]]*)\] TJ/g)) {
        if (op[1]) {
          font = fonts.get(op[1]) ?? -1;
          continue;
        }
        const map = this.cmap(font);
        for (const hex of op[2].matchAll(/<([0-9a-f]*)>/gi)) {
          for (let k = 0; k < hex[1].length; k += 4) line += map.get(parseInt(hex[1].slice(k, k + 4), 16)) ?? '\uFFFD';
        }
      }
      lines.push(line);
    }
    return lines.join('\n');
  }

  /** An Info entry, decoded (pdfkit writes non-ASCII as UTF-16BE with a BOM). */
  info(key: string): string | null {
    const infoRef = Number(/\/Info (\d+) 0 R/.exec(this.bytes.toString('latin1'))?.[1]);
    const ref = new RegExp(`/${key} (\\d+) 0 R`).exec(this.obj(infoRef).dict);
    if (!ref) return null;
    const lit = /^\(([\s\S]*)\)\s*$/.exec(this.obj(Number(ref[1])).dict.trim())?.[1] ?? '';
    const raw = Buffer.from(
      lit.replace(/\\([nrtbf()\\]|[0-7]{1,3})/g, (_, e: string) =>
        /[0-7]/.test(e[0]) ? String.fromCharCode(parseInt(e, 8)) : ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' } as Record<string, string>)[e] ?? e,
      ),
      'latin1',
    );
    return raw[0] === 0xfe && raw[1] === 0xff ? raw.subarray(2).swap16().toString('utf16le') : raw.toString('latin1');
  }
}

/** Rasterise a module matrix (quiet zone added) into RGBA and decode it with jsQR. */
function decodeMatrix(m: QrMatrix, px = 6): string | null {
  const quiet = 4;
  const side = (m.size + 2 * quiet) * px;
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let r = 0; r < m.size; r++) {
    for (let c = 0; c < m.size; c++) {
      if (!m.modules[r * m.size + c]) continue;
      for (let y = 0; y < px; y++) {
        for (let x = 0; x < px; x++) {
          const i = (((quiet + r) * px + y) * side + (quiet + c) * px + x) * 4;
          rgba[i] = rgba[i + 1] = rgba[i + 2] = 0;
        }
      }
    }
  }
  return jsQR(rgba, side, side)?.data ?? null;
}

/**
 * The QR as drawn on a page: the integer `re` rectangles in module units (the only integer
 * rectangles in a label's content), back into a module matrix.
 */
function matrixFromContent(content: string): QrMatrix {
  const rects = [...content.matchAll(/^(\d+) (\d+) (\d+) (\d+) re$/gm)].map((r) => r.slice(1, 5).map(Number));
  const size = Math.max(...rects.map(([x, , w]) => x + w));
  const modules = new Uint8Array(size * size);
  for (const [x, y, w, h] of rects) {
    for (let r = y; r < y + h; r++) for (let c = x; c < x + w; c++) modules[r * size + c] = 1;
  }
  return { size, modules };
}

// ---------------------------------------------------------------------------------------------

describe('labelQrPayload', () => {
  it('is the bare code without a base URL', () => {
    expect(labelQrPayload('WP3304810020260001-003')).toBe('WP3304810020260001-003');
    expect(labelQrPayload('WP3304810020260001-003', null)).toBe('WP3304810020260001-003');
    expect(labelQrPayload('WP3304810020260001-003', '  ')).toBe('WP3304810020260001-003');
  });
  it('is the item page URL with a base URL, whatever its trailing slashes', () => {
    expect(labelQrPayload('WP3304810020260001-003', BASE)).toBe(`${BASE}/c/WP3304810020260001-003`);
    expect(labelQrPayload('WP3304810020260001-003', `${BASE}//`)).toBe(`${BASE}/c/WP3304810020260001-003`);
    expect(labelQrPayload('A B/C', BASE)).toBe(`${BASE}/c/A%20B%2FC`);
  });
});

describe('qrMatrix', () => {
  it('decodes back to the payload (code and URL)', () => {
    for (const payload of ['WP3304810020260001-003', labelQrPayload('WP3304810020260001-003', BASE), labelQrPayload('LC33048100-R01-A-02', BASE)]) {
      const m = qrMatrix(payload);
      expect(m.modules.length).toBe(m.size * m.size);
      expect(decodeMatrix(m)).toBe(payload);
    }
  });
  it('merged rectangles cover exactly the dark modules', () => {
    const m = qrMatrix(labelQrPayload('WP3304810020260001-003', BASE));
    const painted = new Uint8Array(m.size * m.size);
    for (const r of qrRects(m)) {
      for (let y = r.y; y < r.y + r.h; y++) {
        for (let x = r.x; x < r.x + r.w; x++) {
          expect(painted[y * m.size + x]).toBe(0); // no overlaps
          painted[y * m.size + x] = 1;
        }
      }
    }
    expect([...painted]).toEqual([...m.modules]);
  });
});

describe('fitText', () => {
  const chars = (s: string) => [...s].length;

  it('keeps text that fits on one line as is', () => {
    expect(fitText('黑色苹果手机', chars, { maxWidth: 10, maxLines: 2 })).toEqual({ lines: ['黑色苹果手机'], truncated: false });
    expect(fitText('  多个   空格  ', chars, { maxWidth: 10, maxLines: 1 })).toEqual({ lines: ['多个 空格'], truncated: false });
    expect(fitText('', chars, { maxWidth: 10, maxLines: 1 })).toEqual({ lines: [], truncated: false });
  });
  it('cuts with … and never exceeds the width or the line count', () => {
    for (const width of [3, 5, 8, 13]) {
      for (const maxLines of [1, 2, 3]) {
        const r = fitText(LONG_NAME, chars, { maxWidth: width, maxLines });
        expect(r.truncated).toBe(true);
        expect(r.lines.length).toBe(maxLines);
        expect(r.lines.at(-1)!.endsWith('…')).toBe(true);
        for (const line of r.lines) expect(chars(line)).toBeLessThanOrEqual(width);
      }
    }
  });
  it('keeps numbers, short codes with their counter, and punctuation with its neighbour', () => {
    expect(fitText('海公（刑）立字〔2026〕1234号', chars, { maxWidth: 8, maxLines: 3 }).lines).toEqual(['海公（刑）立字', '〔2026〕', '1234号']);
    expect(fitText('一号库房 / A柜 / 第2层', chars, { maxWidth: 8, maxLines: 3 }).lines).toEqual(['一号库房 /', 'A柜 / 第2层']);
    for (const line of fitText('手机，充电器。（备用）数据线', chars, { maxWidth: 5, maxLines: 4 }).lines) {
      expect(line).not.toMatch(/^[，。）]/);
      expect(line).not.toMatch(/（$/);
    }
  });
  it('breaks a word too long for any line by character', () => {
    expect(fitText('ABCDEFGHIJ', chars, { maxWidth: 4, maxLines: 3 }).lines).toEqual(['ABCD', 'EFGH', 'IJ']);
  });
});

describe('fitCode', () => {
  const em = (s: string) => s.length * 0.57;
  it('keeps the size when it fits, condenses then shrinks, and never cuts', () => {
    expect(fitCode('WP1-001', em, 100, 7)).toEqual({ size: 7, scale: 1, lines: ['WP1-001'] });
    const c = fitCode('WP3304810020260001-003', em, 67, 7);
    expect(c.lines).toEqual(['WP3304810020260001-003']);
    expect(c.scale).toBeGreaterThanOrEqual(0.82);
    expect(em(c.lines[0]) * c.size * c.scale).toBeLessThanOrEqual(67);
    const long = fitCode('WP33048100202600010000000000000000000001-003', em, 40, 7);
    expect(long.lines.join('')).toBe('WP33048100202600010000000000000000000001-003');
    for (const line of long.lines) expect(em(line) * long.size * long.scale).toBeLessThanOrEqual(40);
  });
});

describe('shanghaiDate', () => {
  it('prints the Shanghai calendar day', () => {
    expect(shanghaiDate('2026-03-05')).toBe('2026-03-05');
    expect(shanghaiDate('2026-03-05T15:59:59Z')).toBe('2026-03-05');
    expect(shanghaiDate('2026-03-05T16:00:00Z')).toBe('2026-03-06');
    expect(shanghaiDate('not a date')).toBeNull();
    expect(shanghaiDate(null)).toBeNull();
  });
});

/** Every text inside the label's text column, and no two texts overlapping. */
function expectInside(layout: LabelLayout): void {
  const eps = 0.01;
  const col = LABEL_TEXT_COLUMN;
  const boxes = layout.texts.map((t) => ({ t, x1: t.x, x2: t.x + t.width, y1: t.y - 0.88 * t.size, y2: t.y + 0.12 * t.size }));
  for (const b of boxes) {
    expect(b.x1, b.t.text).toBeGreaterThanOrEqual(col.left - eps);
    expect(b.x2, b.t.text).toBeLessThanOrEqual(col.right + eps);
    expect(b.y1, b.t.text).toBeGreaterThanOrEqual(col.top - eps);
    expect(b.y2, b.t.text).toBeLessThanOrEqual(col.bottom + eps);
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      const overlap = a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
      expect(overlap, `${a.t.text} overlaps ${b.t.text}`).toBe(false);
    }
  }
  expect(layout.qr.x).toBeGreaterThanOrEqual(0);
  expect(layout.qr.x + layout.qr.size).toBeLessThanOrEqual(col.left);
  expect(layout.qr.y + layout.qr.size).toBeLessThanOrEqual(LABEL_HEIGHT);
}

describe('layout with the real font metrics', () => {
  const measure = fontMeasure();

  it('fits an ordinary item label and prints everything in full', () => {
    const layout = layoutItemLabel(phone, measure);
    expectInside(layout);
    const all = layout.texts.map((t) => t.text).join('\n');
    for (const s of ['黑色苹果手机', 'WP3304810020260001-003', '第3件', '电子设备', '海宁市公安局', '2026-03-05']) expect(all).toContain(s);
    expect(all.replace(/\n/g, '')).toContain('海公（刑）立字〔2026〕1234号');
    expect(all).not.toContain('…');
  });

  it('cuts long names, holders and case numbers with … and never overflows; the code is never cut', () => {
    const longCode = 'WP330481002026000100000000000000000000000001-003';
    const layout = layoutItemLabel(
      {
        ...phone,
        code: longCode,
        name: LONG_NAME,
        holder: '海宁市公安局硖石派出所刑事侦查中队第三探组涉案财物临时保管室',
        caseNumber: '海宁市公安局（刑）立字〔2026〕第0001234号之补充侦查卷宗附件',
        typeLabel: '电子设备及其附属配件和包装材料',
        itemNo: 12345,
      },
      measure,
    );
    expectInside(layout);
    const name = layout.texts.filter((t) => t.font === 'bold');
    expect(name.length).toBeGreaterThanOrEqual(1);
    expect(name.at(-1)!.text.endsWith('…')).toBe(true);
    const code = layout.texts.filter((t) => t.font === 'medium' && /^[A-Z0-9-]+$/.test(t.text));
    expect(code.map((t) => t.text).join('')).toBe(longCode);
    expect(layout.texts.some((t) => t.text === '第12345件')).toBe(true);
  });

  it('fits location labels, long ones included', () => {
    expectInside(layoutLocationLabel(shelf, measure));
    expectInside(
      layoutLocationLabel(
        {
          code: 'LC33048100-R01-A-02-B0017',
          name: '海宁市公安局涉案财物管理中心一号库房 / 电子物证专用防磁柜A柜 / 第2层 / 第17格',
          kindLabel: '物品存放格（防磁）',
          centre: '海宁市公安局涉案财物管理中心（海昌路分中心）电子物证库',
        },
        measure,
      ),
    );
  });
});

describe('renderLabels', () => {
  const items: LabelItem[] = [
    phone,
    { ...phone, code: 'WP3304810020260001-004', itemNo: 4, name: LONG_NAME, seizedAt: null },
    { ...phone, code: 'WP3304810020260001-005', itemNo: 5, name: '现金人民币', typeLabel: '现金' },
  ];

  it("'label': one 50 × 30 mm page per item, searchable Chinese text, embedded subset CJK font", async () => {
    const pdf = await renderLabels(items, { format: 'label', baseUrl: BASE });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const doc = new MiniPdf(pdf);
    const pages = doc.pages();
    expect(pages.length).toBe(3);
    for (const page of pages) {
      const [x0, y0, w, h] = doc.mediaBox(page);
      expect([x0, y0]).toEqual([0, 0]);
      expect(w).toBeCloseTo(141.73, 1);
      expect(h).toBeCloseTo(85.04, 1);
      expect(w).toBeCloseTo(LABEL_WIDTH, 1);
    }
    const first = doc.text(pages[0]);
    expect(first).toContain('黑色苹果手机');
    expect(first.replace(/\n/g, '')).toContain('海公（刑）立字〔2026〕1234号');
    expect(first).toContain('WP3304810020260001-003');
    expect(first).toContain('第3件');
    expect(first).toContain('2026-03-05');
    const second = doc.text(pages[1]);
    expect(second).toContain('银色华为');
    expect(second).toContain('…');
    expect(second).not.toContain('2026-03-05'); // no seizure date given

    const dicts = [...doc.objects.values()].map((o) => o.dict).join('\n');
    expect(dicts).toMatch(/\/FontFile3 \d+ 0 R/); // CFF embedded
    expect(dicts).toMatch(/\/Subtype \/CIDFontType0C/);
    expect(dicts).toMatch(/\/BaseFont \/[A-Z]{6}\+NotoSansHans-Bold/); // subset prefix
    expect(dicts).toMatch(/\/ToUnicode \d+ 0 R/);
    expect(doc.info('Title')).toBe('涉案财物标签');
    expect(doc.info('Creator')).toBe('Zhian 智安');
  });

  it('draws the QR as vectors that decode to the item URL, and to the bare code without a base URL', async () => {
    const withUrl = new MiniPdf(await renderLabels([phone], { format: 'label', baseUrl: BASE }));
    const drawn = matrixFromContent(withUrl.content(withUrl.pages()[0]));
    expect(decodeMatrix(drawn)).toBe(`${BASE}/c/WP3304810020260001-003`);
    expect([...drawn.modules]).toEqual([...qrMatrix(`${BASE}/c/WP3304810020260001-003`).modules]);

    const bare = new MiniPdf(await renderLabels([phone], { format: 'label' }));
    expect(decodeMatrix(matrixFromContent(bare.content(bare.pages()[0])))).toBe('WP3304810020260001-003');
  });

  it("'a4': 27 labels a sheet on A4, every code on its sheet, title from the options", async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ ...phone, code: `WP3304810020260001-${String(i + 1).padStart(3, '0')}`, itemNo: i + 1 }));
    const doc = new MiniPdf(await renderLabels(many, { format: 'a4', title: '案件 1234 标签' }));
    const pages = doc.pages();
    expect(LABELS_PER_A4).toBe(27);
    expect(pages.length).toBe(Math.ceil(30 / LABELS_PER_A4));
    const [, , w, h] = doc.mediaBox(pages[0]);
    expect(w).toBeCloseTo(595.28, 1);
    expect(h).toBeCloseTo(841.89, 1);
    const text = pages.map((p) => doc.text(p));
    for (let i = 0; i < 30; i++) expect(text[i < 27 ? 0 : 1]).toContain(many[i].code);
    expect(text[1]).not.toContain(many[0].code);
    expect(doc.info('Title')).toBe('案件 1234 标签');
  });

  it('refuses an empty list', async () => {
    await expect(renderLabels([], { format: 'label' })).rejects.toThrow(RangeError);
  });

  it('renders 1,000 labels, one page each or 27 to a sheet', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ ...items[i % 3], code: `WP3304810020260001-${String(i + 1).padStart(4, '0')}`, itemNo: i + 1 }));
    for (const format of ['label', 'a4'] as const) {
      const pdf = await renderLabels(many, { format, baseUrl: BASE });
      expect(new MiniPdf(pdf).pages().length).toBe(format === 'label' ? 1000 : Math.ceil(1000 / LABELS_PER_A4));
    }
  });
});

describe('renderLocationLabels', () => {
  it('renders location labels with their path, code and a decodable QR', async () => {
    const doc = new MiniPdf(
      await renderLocationLabels([shelf], { format: 'label', baseUrl: BASE }),
    );
    const [page] = doc.pages();
    const text = doc.text(page);
    expect(text.replace(/\n/g, ' ')).toContain('一号库房 / A柜 / 第2层');
    expect(text).toContain('LC33048100-R01-A-02');
    expect(text).toContain('货架层');
    expect(decodeMatrix(matrixFromContent(doc.content(page)))).toBe(`${BASE}/c/LC33048100-R01-A-02`);
    expect(doc.info('Title')).toBe('存放位置标签');
  });
});
