import { saveBlob } from '../../api';

/** Import template: the header row the server expects and two example rows. */
export function downloadAddressTemplate(): void {
  const rows = [
    ['街道', '社区', '小区', '楼栋', '单元', '户', '经度', '纬度', '别名'],
    ['硖石街道', '西山社区', '文苑小区', '3幢', '1单元', '301室', '120.711624', '30.491849', '水月亭路88号'],
    ['硖石街道', '西山社区', '文苑小区', '3幢', '1单元', '302室', '120.711624', '30.491849', ''],
  ];
  const csv = rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n');
  // The BOM makes Excel open the file as UTF-8 instead of GBK.
  saveBlob(new Blob(['\ufeff' + csv + '\r\n'], { type: 'text/csv;charset=utf-8' }), '地址导入模板.csv');
}

