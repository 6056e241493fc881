/**
 * A camera for the browser tests: Chromium plays a Y4M file as its webcam
 * (--use-file-for-fake-video-capture), so the scan page decodes a real QR code from real
 * video frames — the label's own QR matrix, drawn black on white with its quiet zone.
 */
import fs from 'node:fs';
import { qrMatrix } from '../../src/server/modules/custody/custody.labels.js';

const W = 640;
const H = 480;

/** Writes a short Y4M video (4:2:0) showing the QR code of the payload; returns the path. */
export function qrVideo(payload: string, file: string): string {
  const m = qrMatrix(payload);
  const quiet = 4;
  const modules = m.size + 2 * quiet;
  const scale = Math.floor(Math.min(W, H) * 0.8 / modules);
  const side = modules * scale;
  const x0 = Math.floor((W - side) / 2);
  const y0 = Math.floor((H - side) / 2);
  const y = Buffer.alloc(W * H, 235);
  for (let r = 0; r < m.size; r++) {
    for (let c = 0; c < m.size; c++) {
      if (!m.modules[r * m.size + c]) continue;
      for (let dy = 0; dy < scale; dy++) {
        const row = (y0 + (r + quiet) * scale + dy) * W + x0 + (c + quiet) * scale;
        y.fill(16, row, row + scale);
      }
    }
  }
  const chroma = Buffer.alloc((W / 2) * (H / 2), 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma, chroma]);
  fs.writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F5:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]));
  return file;
}
