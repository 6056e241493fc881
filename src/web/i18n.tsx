/**
 * The console's own small dictionary (Chinese first, English second) and the language choice,
 * remembered in localStorage. Ant Design's own texts come from its locale packs.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';

export type Lang = 'zh-CN' | 'en-US';
const STORAGE_KEY = 'zhian.lang';

const dict = {
  // shell
  'app.title': ['海宁市社会治理综合指挥平台 · 智安', 'Haining Social Governance Command Platform · Zhian'],
  'app.short': ['智安', 'Zhian'],
  'app.footer': ['智安 Zhian · 开源的基层治理与公共安全平台', 'Zhian · open platform for public safety and grassroots governance'],
  'nav.map': ['总览地图', 'Map overview'],
  'nav.addresses': ['地址库', 'Addresses'],
  'nav.grids': ['网格', 'Grids'],
  'nav.orgs': ['组织机构', 'Organisations'],
  'nav.users': ['用户', 'Users'],
  'nav.audit': ['审计日志', 'Audit log'],
  'nav.apiDocs': ['接口文档', 'API docs'],
  'nav.group.base': ['基础数据', 'Base data'],
  'nav.group.admin': ['系统管理', 'Administration'],
  'nav.group.soon': ['业务模块', 'Modules'],
  'nav.reports': ['事件中枢', 'Reports'],
  'nav.alerts': ['预警中心', 'Alerts'],
  'nav.custody': ['涉案财物', 'Custody'],
  'nav.dispatch': ['指挥调度', 'Dispatch'],
  'nav.cockpit': ['驾驶舱', 'Cockpit'],
  'nav.soon': ['即将上线', 'Coming soon'],
  'user.changePassword': ['修改密码', 'Change password'],
  'user.logout': ['退出登录', 'Sign out'],
  'user.loggedOut': ['已退出登录', 'Signed out'],
  'lang.switch': ['English', '中文'],
  'page.forbidden': ['您没有访问此页面的权限', 'You do not have permission to view this page'],
  'page.notFound': ['页面不存在', 'Page not found'],
  'page.backHome': ['返回首页', 'Back to home'],

  // common
  'common.search': ['查询', 'Search'],
  'common.reset': ['重置', 'Reset'],
  'common.create': ['新建', 'New'],
  'common.edit': ['编辑', 'Edit'],
  'common.save': ['保存', 'Save'],
  'common.cancel': ['取消', 'Cancel'],
  'common.ok': ['确定', 'OK'],
  'common.close': ['关闭', 'Close'],
  'common.actions': ['操作', 'Actions'],
  'common.detail': ['详情', 'Details'],
  'common.loading': ['加载中…', 'Loading…'],
  'common.saved': ['已保存', 'Saved'],
  'common.created': ['已创建', 'Created'],
  'common.exportXlsx': ['导出 Excel', 'Export xlsx'],
  'common.exporting': ['正在导出…', 'Exporting…'],
  'common.total': ['共 {n} 条', '{n} in total'],
  'common.none': ['无', 'None'],
  'common.yes': ['是', 'Yes'],
  'common.no': ['否', 'No'],
  'common.all': ['全部', 'All'],
  'common.keyword': ['关键字', 'Keyword'],
  'common.name': ['名称', 'Name'],
  'common.code': ['编码', 'Code'],
  'common.required': ['必填', 'Required'],
  'common.requestId': ['请求编号', 'Request ID'],
  'common.error': ['操作失败', 'Request failed'],
  'common.networkError': ['无法连接服务器', 'Cannot reach the server'],
  'common.refresh': ['刷新', 'Refresh'],
  'common.coords': ['坐标', 'Coordinates'],
  'common.street': ['街道', 'Street'],
  'common.community': ['社区', 'Community'],
  'common.grid': ['网格', 'Grid'],
  'common.gridWorkers': ['网格员', 'Grid workers'],
  'common.upload': ['选择文件', 'Choose file'],

  // login
  'login.title': ['用户登录', 'Sign in'],
  'login.username': ['用户名', 'Username'],
  'login.password': ['密码', 'Password'],
  'login.submit': ['登 录', 'Sign in'],
  'login.bad': ['用户名或密码错误', 'Wrong username or password'],
  'login.locked': ['尝试次数过多，请稍后再试', 'Too many attempts, please try again later'],
  'login.note': ['演示账号见 README', 'Demo accounts are listed in the README'],
  'login.slogan': ['一张网格管到底 · 一个平台治全域', 'One grid network · one platform for the whole district'],

  // password
  'pwd.current': ['当前密码', 'Current password'],
  'pwd.new': ['新密码', 'New password'],
  'pwd.confirm': ['确认新密码', 'Confirm new password'],
  'pwd.mismatch': ['两次输入的密码不一致', 'The passwords do not match'],
  'pwd.changed': ['密码已修改', 'Password changed'],
  'pwd.rule': ['至少 8 位，须包含字母及至少一个数字或符号', 'At least 8 characters, with letters and at least one digit or symbol'],

  // map
  'map.searchPlaceholder': ['搜索地址，如：硖石街道文苑小区3幢', 'Search an address, e.g. 硖石街道文苑小区3幢'],
  'map.best': ['最佳匹配', 'Best match'],
  'map.alternative': ['候选', 'Alternative'],
  'map.noMatch': ['未找到匹配地址', 'No matching address'],
  'map.confidence': ['置信度', 'Confidence'],
  'map.stats.streets': ['街道', 'Streets'],
  'map.stats.communities': ['社区', 'Communities'],
  'map.stats.grids': ['网格', 'Grids'],
  'map.stats.addresses': ['地址', 'Addresses'],
  'map.stats.users': ['用户', 'Users'],
  'map.panel': ['统计', 'Statistics'],
  'map.gridsByStreet': ['各街道网格数', 'Grids per street'],
  'map.gridInfo': ['网格信息', 'Grid'],
  'map.noWorkers': ['未配置网格员', 'No grid worker assigned'],
  'map.clickedAt': ['点击位置 (WGS-84)', 'Clicked point (WGS-84)'],
  'map.offline': ['离线底图', 'Offline base map'],
  'map.tiles': ['在线瓦片', 'Tile base map'],
  'map.loadFailed': ['地图数据加载失败', 'Failed to load map data'],
  'map.fullText': ['标准地址', 'Standard address'],
  'map.outsideGrids': ['不在任何网格内', 'Outside every grid'],
  'map.legend': ['图例（按街道着色）', 'Legend (coloured by street)'],
  'map.gridCount': ['网格数', 'Grids'],
  'map.viewGrid': ['在网格管理中查看', 'Open in grid management'],

  // addresses
  'addr.search': ['地址匹配', 'Address matching'],
  'addr.searchPlaceholder': ['输入地址文本进行匹配', 'Type an address to match'],
  'addr.fullText': ['完整地址', 'Full address'],
  'addr.level': ['层级', 'Level'],
  'addr.grid': ['所属网格', 'Grid'],
  'addr.confidence': ['置信度', 'Confidence'],
  'addr.normalized': ['标准化文本', 'Normalised text'],
  'addr.tree': ['地址层级浏览', 'Browse by hierarchy'],
  'addr.truncated': ['仅显示前 {n} 项，共 {total} 项', 'Showing the first {n} of {total}'],
  'addr.detail': ['地址详情', 'Address details'],
  'addr.ancestors': ['上级地址', 'Ancestors'],
  'addr.selectHint': ['在左侧选择一个地址查看详情', 'Select an address on the left to see its details'],
  'addr.import': ['导入地址', 'Import addresses'],
  'addr.template': ['下载模板', 'Download template'],
  'addr.importHint': ['支持 xlsx、csv 文件；表头：街道、社区、小区、楼栋、单元、户、经度、纬度、别名（省市区由系统自动补全，多个别名以分号“；”分隔）', 'xlsx or csv; header row: 街道, 社区, 小区, 楼栋, 单元, 户, 经度, 纬度, 别名 (province, city and county are filled in; separate several aliases with ";")'],
  'addr.importStart': ['开始导入', 'Start import'],
  'addr.importRunning': ['正在导入… 已处理 {processed} / {total}', 'Importing… {processed} / {total} processed'],
  'addr.importSucceeded': ['导入成功：共导入 {processed} 行', 'Import succeeded: {processed} rows imported'],
  'addr.importFailed': ['导入失败，请根据以下错误修改文件后重新导入', 'Import failed; fix the rows below and import again'],
  'addr.badFormat': ['仅支持 .xlsx 或 .csv 文件', 'Only .xlsx or .csv files are supported'],
  'addr.row': ['行号', 'Row'],
  'addr.field': ['字段', 'Field'],
  'addr.message': ['错误说明', 'Problem'],
  'addr.openOnMap': ['在地图中定位', 'Show on map'],
  'addr.matchResults': ['匹配结果', 'Matches'],
  'addr.childCount': ['下级数量', 'Children'],
  'addr.aliases': ['别名', 'Aliases'],
  'job.created': ['新增', 'Created'],
  'job.updated': ['更新', 'Updated'],
  'job.skipped': ['跳过', 'Skipped'],
  'job.unchanged': ['未变化', 'Unchanged'],
  'job.rows': ['行数', 'Rows'],

  // grids
  'grid.code': ['网格编码', 'Grid code'],
  'grid.name': ['网格名称', 'Grid name'],
  'grid.searchPlaceholder': ['网格名称或编码', 'Grid name or code'],
  'grid.exportGeojson': ['导出 GeoJSON', 'Export GeoJSON'],
  'grid.importGeojson': ['导入 GeoJSON', 'Import GeoJSON'],
  'grid.imported': ['导入完成：新增 {created} 个，更新 {updated} 个', 'Imported: {created} created, {updated} updated'],
  'grid.badGeojson': ['文件不是有效的 GeoJSON FeatureCollection', 'The file is not a valid GeoJSON FeatureCollection'],
  'grid.detail': ['网格详情', 'Grid details'],
  'grid.workersPlaceholder': ['搜索并选择网格员', 'Search and pick grid workers'],
  'grid.allStreets': ['全部街道', 'All streets'],
  'grid.allCommunities': ['全部社区', 'All communities'],

  // orgs
  'org.tree': ['组织机构树', 'Organisation tree'],
  'org.kind': ['类型', 'Kind'],
  'org.deptType': ['部门类别', 'Department type'],
  'org.parent': ['上级机构', 'Parent'],
  'org.children': ['下级数量', 'Children'],
  'org.childList': ['下级机构', 'Child organisations'],
  'org.createChild': ['新建下级', 'New child'],
  'org.createRoot': ['新建机构', 'New organisation'],
  'org.edit': ['编辑机构', 'Edit organisation'],
  'org.filter': ['搜索机构名称或编码', 'Filter by name or code'],
  'org.selectHint': ['在左侧选择一个机构', 'Select an organisation on the left'],
  'org.codeRule': ['仅限字母、数字、下划线和短横线', 'Letters, digits, underscores and dashes only'],
  'org.parentRequired': ['请选择上级机构', 'Choose the parent organisation'],

  // users
  'users.username': ['用户名', 'Username'],
  'users.displayName': ['姓名', 'Name'],
  'users.org': ['所属机构', 'Organisation'],
  'users.roles': ['角色', 'Roles'],
  'users.phone': ['手机号', 'Phone'],
  'users.active': ['状态', 'Status'],
  'users.enabled': ['启用', 'Active'],
  'users.disabled': ['停用', 'Disabled'],
  'users.disable': ['停用', 'Disable'],
  'users.enable': ['启用', 'Enable'],
  'users.disableConfirm': ['确定停用用户“{name}”？停用后该用户无法登录。', 'Disable “{name}”? The user will not be able to sign in.'],
  'users.scopeOrg': ['数据范围机构', 'Scope organisation'],
  'users.scopeOrgHint': ['留空表示本机构', 'Empty = own organisation'],
  'users.grids': ['负责网格', 'Grids'],
  'users.password': ['初始密码', 'Initial password'],
  'users.create': ['新建用户', 'New user'],
  'users.edit': ['编辑用户', 'Edit user'],
  'users.resetPassword': ['重置密码', 'Reset password'],
  'users.resetDone': ['密码已重置', 'Password reset'],
  'users.showPhone': ['查看完整号码', 'Show full number'],
  'users.phoneAudited': ['查看完整号码将记入审计日志', 'Viewing the full number is recorded in the audit log'],
  'users.searchPlaceholder': ['用户名、姓名或手机号', 'Username, name or phone'],
  'users.filterOrg': ['按机构筛选', 'Filter by organisation'],
  'users.filterRole': ['按角色筛选', 'Filter by role'],
  'users.phoneRule': ['请输入 11 位手机号', 'Enter an 11-digit mobile number'],
  'users.usernameRule': ['2-64 位小写字母、数字、点、短横线或下划线', '2–64 lower-case letters, digits, dots, dashes or underscores'],
  'users.more': ['更多', 'More'],

  // audit
  'audit.at': ['时间', 'Time'],
  'audit.actor': ['操作人', 'Actor'],
  'audit.ip': ['IP', 'IP'],
  'audit.action': ['操作', 'Action'],
  'audit.target': ['对象', 'Target'],
  'audit.targetType': ['对象类型', 'Target type'],
  'audit.targetId': ['对象 ID', 'Target ID'],
  'audit.range': ['时间范围', 'Time range'],
  'audit.field': ['字段', 'Field'],
  'audit.before': ['变更前', 'Before'],
  'audit.after': ['变更后', 'After'],
  'audit.noChange': ['无字段变化', 'No field changed'],
  'audit.raw': ['原始数据', 'Raw JSON'],
  'audit.onlyChanged': ['仅显示变化字段（{n}）', 'Changed fields only ({n})'],
  'audit.allFields': ['显示全部字段（{n}）', 'All fields ({n})'],
  'audit.system': ['系统', 'System'],
  'audit.rangeTz': ['时间按北京时间 (UTC+8) 解释', 'Times are Beijing time (UTC+8)'],
} as const satisfies Record<string, readonly [string, string]>;

export type MsgKey = keyof typeof dict;
export type TFunc = (key: MsgKey, vars?: Record<string, string | number>) => string;

interface I18nValue {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: TFunc;
}

const I18nContext = createContext<I18nValue | null>(null);

let activeLang: Lang = 'zh-CN';
/** The language in use, for helpers that run outside components. */
export function currentLang(): Lang {
  return activeLang;
}

const SERVER_PHRASES: [RegExp, string][] = [
  [/^is not correct$/i, '不正确'],
  [/^must be at least (\d+) characters$/i, '至少 $1 位'],
  [/^must contain letters and at least one digit or symbol$/i, '须包含字母及至少一个数字或符号'],
  [/^must differ from the current password$/i, '不能与当前密码相同'],
  [/^(is required|required)$/i, '必填'],
  [/^is invalid$/i, '格式不正确'],
  [/^an 11-digit mobile number starting with 1$/i, '请输入以 1 开头的 11 位手机号'],
  [/^already exists$/i, '已存在'],
];

/** Field messages of the API are English; show the common ones in Chinese in the Chinese console. */
export function localizeServerMessage(message: string): string {
  if (activeLang !== 'zh-CN') return message;
  for (const [re, zh] of SERVER_PHRASES) if (re.test(message)) return message.replace(re, zh);
  return message;
}

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'zh-CN' || saved === 'en-US') return saved;
  } catch {
    // Storage may be blocked; fall back to Chinese.
  }
  return 'zh-CN';
}

function applyDayjsLocale(lang: Lang): void {
  dayjs.locale(lang === 'zh-CN' ? 'zh-cn' : 'en');
}

/** Translates with the given language; exported for code outside React (popups on the map). */
export function translate(lang: Lang, key: MsgKey, vars?: Record<string, string | number>): string {
  const entry = dict[key];
  let text: string = entry ? entry[lang === 'zh-CN' ? 0 : 1] : key;
  if (vars) for (const [k, v] of Object.entries(vars)) text = text.split(`{${k}}`).join(String(v));
  return text;
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => {
    const l = initialLang();
    applyDayjsLocale(l);
    return l;
  });
  const setLang = useCallback((l: Lang) => {
    try {
      localStorage.setItem(STORAGE_KEY, l);
    } catch {
      /* ignore */
    }
    applyDayjsLocale(l);
    setLangState(l);
  }, []);
  activeLang = lang;
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = translate(lang, 'app.title');
  }, [lang]);
  const value = useMemo<I18nValue>(() => ({ lang, setLang, t: (key, vars) => translate(lang, key, vars) }), [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}

// ---------------------------------------------------------------- labels of codes

type Labels = Record<string, readonly [string, string]>;

const ORG_KIND_LABELS: Labels = {
  district: ['区县', 'District'],
  street: ['街道·镇', 'Street / town'],
  community: ['社区·村', 'Community / village'],
  department: ['部门', 'Department'],
  agency: ['机构', 'Agency'],
};

const DEPT_TYPE_LABELS: Labels = {
  public_security: ['公安', 'Public security'],
  procuratorate: ['检察院', 'Procuratorate'],
  court: ['法院', 'Court'],
  finance: ['财政', 'Finance'],
  urban_management: ['城管', 'Urban management'],
  transport: ['交通运输', 'Transport'],
  housing: ['住建', 'Housing & construction'],
  ecology_environment: ['生态环境', 'Ecology & environment'],
  market_regulation: ['市场监管', 'Market regulation'],
  civil_affairs: ['民政', 'Civil affairs'],
  water_resources: ['水利', 'Water resources'],
  fire_rescue: ['消防救援', 'Fire & rescue'],
  emergency_management: ['应急管理', 'Emergency management'],
  justice: ['司法行政', 'Justice'],
  health: ['卫生健康', 'Health'],
  education: ['教育', 'Education'],
  community: ['社区办公室', 'Community office'],
};

const ROLE_LABELS: Labels = {
  admin: ['系统管理员', 'Administrator'],
  command_center: ['指挥中心', 'Command centre'],
  dept_staff: ['部门人员', 'Department staff'],
  grid_worker: ['网格员', 'Grid worker'],
  community_staff: ['社区工作人员', 'Community staff'],
  auditor: ['审计员', 'Auditor'],
  viewer: ['只读用户', 'Viewer'],
};

const LEVEL_LABELS: Labels = {
  province: ['省', 'Province'],
  city: ['市', 'City'],
  county: ['区县', 'County'],
  street: ['街道·镇', 'Street / town'],
  community: ['社区·村', 'Community / village'],
  estate: ['小区·自然村', 'Estate / hamlet'],
  building: ['楼栋', 'Building'],
  unit: ['单元', 'Unit'],
  room: ['户', 'Room'],
};

const TARGET_TYPE_LABELS: Labels = {
  user: ['用户', 'User'],
  org: ['组织机构', 'Organisation'],
  grid: ['网格', 'Grid'],
  address: ['地址', 'Address'],
  session: ['会话', 'Session'],
  job: ['任务', 'Job'],
  api_token: ['接口令牌', 'API token'],
  district: ['辖区', 'District'],
};

/** The server's typed audit actions (src/server/platform/audit/audit.ts). */
const ACTION_LABELS: Labels = {
  'auth.login': ['登录', 'Signed in'],
  'auth.login_failed': ['登录失败', 'Sign-in failed'],
  'auth.logout': ['退出登录', 'Signed out'],
  'auth.password_changed': ['修改密码', 'Password changed'],
  'token.created': ['创建接口令牌', 'API token created'],
  'org.created': ['新建机构', 'Organisation created'],
  'org.updated': ['修改机构', 'Organisation updated'],
  'user.created': ['新建用户', 'User created'],
  'user.updated': ['修改用户', 'User updated'],
  'user.password_reset': ['重置密码', 'Password reset'],
  'user.contact_read': ['查看联系方式', 'Contact read'],
  'grid.created': ['新建网格', 'Grid created'],
  'grid.updated': ['修改网格', 'Grid updated'],
  'grid.imported': ['导入网格', 'Grids imported'],
  'address.imported': ['导入地址', 'Addresses imported'],
  'address.created': ['新建地址', 'Address created'],
  'demo.seeded': ['生成演示数据', 'Demo district seeded'],
  'data.imported': ['导入数据', 'Data imported'],
};

function label(table: Labels, lang: Lang, code: string | null | undefined): string {
  if (!code) return '';
  const entry = table[code];
  return entry ? entry[lang === 'zh-CN' ? 0 : 1] : code;
}

export const labels = {
  orgKind: (lang: Lang, code: string | null | undefined) => label(ORG_KIND_LABELS, lang, code),
  deptType: (lang: Lang, code: string | null | undefined) => label(DEPT_TYPE_LABELS, lang, code),
  role: (lang: Lang, code: string | null | undefined) => label(ROLE_LABELS, lang, code),
  level: (lang: Lang, code: string | null | undefined) => label(LEVEL_LABELS, lang, code),
  targetType: (lang: Lang, code: string | null | undefined) => label(TARGET_TYPE_LABELS, lang, code),
  action: (lang: Lang, code: string | null | undefined) => label(ACTION_LABELS, lang, code),
};
