/**
 * Name pools of the demo district (modelled on 海宁市, 浙江省嘉兴市). Street and town names are
 * the real administrative divisions; community / village names are plausible place names
 * (some coincide with real ones); estates, roads, natural villages and persons are invented.
 */
import type { DeptType } from '../core/core.types.js';

export interface DemoStreetDef {
  /** e.g. "硖石街道". */
  name: string;
  /** Pinyin key used in usernames: street-<key>. */
  key: string;
  /** 镇 (town) rather than 街道 (sub-district). */
  town: boolean;
  /** Approximate centre of the street (WGS-84), used to place its grids. */
  lng: number;
  lat: number;
  /** Communities (社区) first, then villages (村). */
  communities: string[];
}

const c = (names: string) => names.split(' ').map((n) => `${n}社区`);
const v = (names: string) => names.split(' ').map((n) => `${n}村`);

export const DEMO_STREETS: readonly DemoStreetDef[] = [
  { name: '硖石街道', key: 'xiashi', town: false, lng: 120.69, lat: 30.505, communities: c('西山 东山 南关厢 北关厢 米市 文苑 紫微 水月亭 洛塘 白漾 联合 梅园 鹃湖 庆云') },
  { name: '海洲街道', key: 'haizhou', town: false, lng: 120.662, lat: 30.52, communities: c('新城 南苑 金龙 工人路 西门 钱江 碧云 狮岭 春熙 宁兴 百合 翠湖 城西 海华') },
  { name: '海昌街道', key: 'haichang', town: false, lng: 120.725, lat: 30.522, communities: c('双联 高新 启辉 伊桥 丰士 荡湾 华丰 东长 长啸 隆兴') },
  { name: '马桥街道', key: 'maqiao', town: false, lng: 120.622, lat: 30.515, communities: c('众安 红卫 秀水 桃园 利群 三新 桥东 新盛 永盛') },
  { name: '许村镇', key: 'xucun', town: true, lng: 120.495, lat: 30.45, communities: [...c('许村 许巷 翁埠'), ...v('荆山 李家 科同 永福 茗山 沈士 杨渡 塘湾 天通 红星 星光 前进 横港')] },
  { name: '长安镇', key: 'changan', town: true, lng: 120.545, lat: 30.468, communities: [...c('长安 虹桥 辛江 天仙河 修川'), ...v('新仓 兴福 褚石 陆陈 百宜 群丰 兆丰 海塘 盛家 仓基 三星 丰收')] },
  { name: '周王庙镇', key: 'zhouwangmiao', town: true, lng: 120.585, lat: 30.495, communities: [...c('周王庙 博儒'), ...v('联丰 永丰 双喜 石井 云龙 民主 新华 长春 万石')] },
  { name: '盐官镇', key: 'yanguan', town: true, lng: 120.575, lat: 30.405, communities: [...c('盐官 郭店 盐仓'), ...v('天明 南联 城北 镇北 祝会 郭溪 新伟 东郊 石桥 北寺 安澜')] },
  { name: '斜桥镇', key: 'xieqiao', town: true, lng: 120.635, lat: 30.468, communities: [...c('斜桥 新宇'), ...v('路仲 祝家 华星 胜利 红光 长埭 仁和 金星 光明')] },
  { name: '丁桥镇', key: 'dingqiao', town: true, lng: 120.675, lat: 30.418, communities: [...c('丁桥 长平'), ...v('诸桥 新民 红江 海潮 惠力 永安 花园 芦湾 新联')] },
  { name: '袁花镇', key: 'yuanhua', town: true, lng: 120.762, lat: 30.448, communities: [...c('袁花 龙山'), ...v('新袁 红晓 双丰 谈桥 夹山 联农 丰乐 新庙 查家 东联 场前 建新')] },
  { name: '黄湾镇', key: 'huangwan', town: true, lng: 120.8, lat: 30.382, communities: [...c('黄湾'), ...v('尖山 五丰 闸口 菩提 安江 潮音 六里 江滨')] },
];

/** Departments directly under the district, one per DEPT_TYPES code except 'community'. */
export const DEMO_DEPARTMENTS: Record<Exclude<DeptType, 'community'>, string> = {
  public_security: '海宁市公安局',
  procuratorate: '海宁市人民检察院',
  court: '海宁市人民法院',
  finance: '海宁市财政局',
  urban_management: '海宁市综合行政执法局',
  transport: '海宁市交通运输局',
  housing: '海宁市住房和城乡建设局',
  ecology_environment: '嘉兴市生态环境局海宁分局',
  market_regulation: '海宁市市场监督管理局',
  civil_affairs: '海宁市民政局',
  water_resources: '海宁市水利局',
  fire_rescue: '海宁市消防救援大队',
  emergency_management: '海宁市应急管理局',
  justice: '海宁市司法局',
  health: '海宁市卫生健康局',
  education: '海宁市教育局',
};

export const COMMAND_CENTRE_NAME = '海宁市社会治理综合指挥中心';

/**
 * Rough outline of the county (counter-clockwise, [lng, lat]): the south edge follows the north
 * bank of the Qiantang river, the city centre (硖石) lies near the north edge.
 */
export const DEMO_OUTLINE: readonly [number, number][] = [
  [120.475, 30.42],
  [120.5, 30.4],
  [120.54, 30.383],
  [120.58, 30.373],
  [120.62, 30.368],
  [120.66, 30.362],
  [120.7, 30.356],
  [120.74, 30.352],
  [120.78, 30.35],
  [120.812, 30.353],
  [120.826, 30.366],
  [120.824, 30.4],
  [120.808, 30.44],
  [120.788, 30.478],
  [120.768, 30.506],
  [120.742, 30.526],
  [120.7, 30.532],
  [120.655, 30.532],
  [120.612, 30.527],
  [120.572, 30.512],
  [120.532, 30.497],
  [120.498, 30.48],
  [120.477, 30.458],
];

/** The county seat, where grids are densest (urban grids are smaller). */
export const DEMO_CITY_CENTRE: readonly [number, number] = [120.684, 30.512];

/** Representative points of the levels above the county (approximate centroids). */
export const PROVINCE_POINT: readonly [number, number] = [120.09, 29.18];
export const CITY_POINT: readonly [number, number] = [120.78, 30.68];

export const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢钟姜崔陆范汪石金夏方邹钱顾戴严俞屠褚查祝盛费施'.split('');
export const GIVEN_CHARS =
  '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红志文辉斌波宇浩凯晨琳婷雪慧佳欣怡俊峰燕玲萍鑫丹晓雨梅海林春荣云飞龙鹏宁健坤颖晶倩悦航睿琪嘉博亮彬瑶月兰凤'.split('');

/** Estate (小区) name parts: prefix + suffix, e.g. 文苑小区, 金色家园, 阳光花苑. */
export const ESTATE_PREFIXES =
  '文苑 金色 阳光 锦绣 翠苑 碧水 丽景 东方 和平 幸福 紫金 海棠 梧桐 桂花 香樟 银杏 江南 钱塘 潮城 名都 世纪 御景 盛世 时代 新都 望江 观潮 凤凰 麒麟 春江 锦江 明珠 绿洲 天和 嘉和 宁馨 安澜 芙蓉 兰亭 水岸 湖滨 蓝湾 云栖 星河 书香 丰泽 怡景 悦澜 锦华 金都 东湖 西溪 华府 南湖 新月 秀水 青枫 玉兰 长虹'.split(' ');
export const ESTATE_SUFFIXES = '小区 家园 花苑 新村 公寓 华庭 名苑 花园 雅苑 嘉园 佳苑 雅居 府 苑 城'.split(' ');
export const ESTATE_SUFFIX_WEIGHTS = [6, 4, 4, 3, 1, 2, 2, 3, 2, 2, 1, 1, 1, 1, 1];

/** Natural village (自然村) name parts: surname + 家 + suffix, e.g. 沈家浜, 王家埭. */
export const VILLAGE_SURNAMES = '沈王张陈徐朱周吴钱顾陆褚金查蒋俞屠许马孙姚杨范施费盛祝唐郭曹邱胡李潘严高'.split('');
export const VILLAGE_SUFFIXES = '浜 埭 桥 湾 兜 港 弄 圩 角 汇 坝 墩 宅 门'.split(' ');

/** Road name prefixes; roads are "<prefix>路" (mostly), "…街" or "…大道". */
export const ROAD_PREFIXES =
  '水月亭 文宗 硖川 工人 西山 人民 解放 钱江 新苑 学林 洛隆 梅园 宁兴 塘南 东山 百合 春熙 碧云 由拳 西环 东环 南环 北环 菜场 文化 建设 商贸 工业 健康 迎宾 振兴 新民 朝阳 同心 和谐 致富 富民 农丰 观潮 江滨 潮乡 高阳 翁金 海州 长埭 联民 火炬 谷水 新桥 斜桥 兴城 园林 洛溪 前进 双山 长水 海涛 新塘 泰山 华山 盐平 丰收 安江 南苑 北苑 仓基 大德 启潮 钱塘 东宁 西宁 金牛 龙山 惠力 尖山 潮音 凤鸣 荷花 紫薇 东升 桐乡 新业 秀水 青年 友谊 平安 光华 横港 宏达'.split(' ');
