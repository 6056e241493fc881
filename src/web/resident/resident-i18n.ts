/**
 * The residents' pages' own words, Chinese first and English second. The language choice is
 * the console's (localStorage 'zhian.lang', through the console's I18nProvider), so Ant
 * Design's texts and dayjs follow the same switch.
 */
import { useCallback, useMemo } from 'react';
import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc';
import timezone from 'dayjs/plugin/timezone';
import 'dayjs/locale/zh-cn';
import { useI18n, type Lang } from '../i18n';

dayjs.extend(utc);
dayjs.extend(timezone);

const TZ = 'Asia/Shanghai';

const dict = {
  'brand': ['海宁市 · 智安', 'Haining · Zhian'],
  'lang.switch': ['EN', '中文'],
  'lang.switchLabel': ['Switch to English', '切换到中文'],

  // report page
  'report.title': ['我要反映', 'Report a problem'],
  'report.lead': ['身边的烦心事、安全隐患，一键上传，专人限时办理。', 'Tell us about a problem near you; a named department handles it within a set time.'],
  'report.checkProgress': ['已反映过？查询进度', 'Reported before? Check progress'],
  'step.describe': ['问题描述', 'What is the problem?'],
  'step.photos': ['照片', 'Photos'],
  'step.location': ['位置', 'Where is it?'],
  'step.contact': ['联系方式', 'How can we reach you?'],
  'common.optional': ['选填', 'optional'],
  'common.required': ['必填', 'required'],
  'describe.placeholder': ['请说明发生了什么、具体在哪里、持续多久了……\n例如：小区东门垃圾堆了三天没人清理，气味很大。', 'What happened, where exactly, and for how long…\ne.g. Rubbish has piled up at the east gate of the estate for three days.'],
  'describe.required': ['请描述您要反映的问题', 'Please describe the problem'],
  'describe.tooShort': ['请再多写几个字，方便工作人员了解情况', 'Please add a few more words so that staff understand'],
  'category.suggested': ['系统判断：{name}', 'Suggested: {name}'],
  'category.editable': ['（可修改）', ' (you can change it)'],
  'category.chosen': ['已选类别：{name}', 'Category: {name}'],
  'category.thinking': ['正在判断类别…', 'Working out the category…'],
  'category.unsure': ['系统暂未判断出类别，可手动选择（选填）', 'No category suggested yet; you may pick one (optional)'],
  'category.change': ['修改', 'Change'],
  'category.pick': ['选择', 'Choose'],
  'category.pickTitle': ['选择问题类别', 'Choose a category'],
  'category.auto': ['不确定，交给工作人员判断', 'Not sure — let the staff decide'],
  'category.maybe': ['可能是', 'Maybe'],
  'category.loadFailed': ['类别加载失败，请稍后重试', 'Could not load the categories'],
  'photos.hint': ['最多 9 张，拍下现场更便于处理', 'Up to 9; a photo of the spot helps'],
  'photos.add': ['拍照/相册', 'Camera / album'],
  'photos.remove': ['删除照片', 'Remove photo'],
  'photos.retry': ['重试', 'Retry'],
  'photos.preparing': ['处理中', 'Preparing'],
  'photos.failed': ['上传失败', 'Failed'],
  'photos.tooMany': ['最多上传 9 张照片，已忽略多出的 {n} 张', 'At most 9 photos; {n} were left out'],
  'photos.notImage': ['不是图片文件', 'Not an image'],
  'photos.tooLarge': ['照片太大（超过 15 MB）', 'Photo too large (over 15 MB)'],
  'photos.uploading': ['照片上传中…', 'Uploading photos…'],
  'photos.someFailed': ['有照片上传失败，请重试或删除后再提交', 'Some photos failed to upload: retry or remove them'],
  'photos.expired': ['这张照片已失效，请删除后重新上传', 'This photo expired: remove it and add it again'],
  'location.useMine': ['使用当前位置', 'Use my location'],
  'location.locating': ['正在定位…', 'Locating…'],
  'location.unsupported': ['此设备不支持定位，请输入地址或在地图上点选', 'Location is not available here: type an address or tap the map'],
  'location.denied': ['未获得定位权限，请在浏览器设置中允许，或输入地址、在地图上点选', 'Location permission denied: allow it in the browser, or type an address or tap the map'],
  'location.failed': ['定位失败，请输入地址或在地图上点选', 'Could not get your location: type an address or tap the map'],
  'location.or': ['或', 'or'],
  'location.addressPlaceholder': ['输入地址，如：硖石街道西山社区', 'Type an address, e.g. 硖石街道西山社区'],
  'location.mapHint': ['点击地图放置标记，可拖动调整', 'Tap the map to drop a pin; drag it to adjust'],
  'location.chosen': ['已选位置', 'Chosen place'],
  'location.fromGps': ['当前位置（精度约 {m} 米）', 'My location (about {m} m accuracy)'],
  'location.fromMap': ['地图选点', 'Pin on the map'],
  'location.fromAddress': ['地址', 'Address'],
  'location.outside': ['该位置不在海宁市网格范围内，请重新选择', 'This spot is outside the district: choose another'],
  'location.addressOnly': ['将按地址“{text}”定位；也可在地图上点选更准确的位置', 'We will locate “{text}”; a pin on the map is more precise'],
  'location.required': ['请选择位置：使用当前位置、输入地址或在地图上点选', 'Choose a place: your location, an address or a pin on the map'],
  'location.clear': ['清除', 'Clear'],
  'location.addressNote': ['补充说明（选填），如：东门岗亭旁', 'Details (optional), e.g. next to the east gate'],
  'map.loadFailed': ['地图暂时无法加载，您仍可输入地址', 'The map could not be loaded; you can still type an address'],
  'map.coop': ['请用双指移动地图', 'Use two fingers to move the map'],
  'map.coopDesktop': ['按住 Ctrl 键并滚动鼠标可缩放地图', 'Use Ctrl + scroll to zoom the map'],
  'map.coopMac': ['按住 ⌘ 键并滚动鼠标可缩放地图', 'Use ⌘ + scroll to zoom the map'],
  'map.done': ['完成', 'Done'],
  'map.fullscreen': ['全屏选点', 'Full screen'],
  'map.loading': ['地图加载中…', 'Loading the map…'],
  'contact.phone': ['联系电话', 'Mobile phone'],
  'contact.phonePlaceholder': ['11 位手机号', '11-digit mobile number'],
  'contact.phoneRequired': ['请填写手机号，便于回访', 'Please give a mobile number so that we can follow up'],
  'contact.phoneInvalid': ['请填写正确的 11 位手机号', 'Please enter a valid 11-digit mobile number'],
  'contact.name': ['称呼', 'Name'],
  'contact.namePlaceholder': ['如：王女士', 'e.g. Ms Wang'],
  'contact.privacy': ['您的电话仅用于回访，不会公开', 'Your number is only used to follow up and is never published'],
  'submit': ['提交', 'Submit'],
  'submitting': ['正在提交…', 'Submitting…'],
  'submit.fixErrors': ['请先完善标红的内容', 'Please fix the fields marked in red'],
  'submit.network': ['网络不给力，请检查网络后重试（已填写的内容不会丢失）', 'Network problem: check your connection and try again (nothing you typed is lost)'],
  'submit.tooMany': ['提交过于频繁，请 {s} 秒后再试', 'Too many reports; try again in {s} s'],
  'submit.failed': ['提交失败：{msg}', 'Submit failed: {msg}'],

  // success
  'done.title': ['反映已提交', 'Report received'],
  'done.sub': ['我们会尽快受理，并按时限办理', 'We will take it up and handle it within the time limit'],
  'done.code': ['查询码', 'Tracking code'],
  'done.copy': ['复制', 'Copy'],
  'done.copied': ['已复制查询码', 'Code copied'],
  'done.copyFailed': ['复制失败，请长按查询码手动复制', 'Copy failed: press and hold the code to copy it'],
  'done.number': ['案件编号：{n}', 'Case number: {n}'],
  'done.keep': ['请保存好查询码（可截图），凭码随时查看办理进度，办结后可对结果进行评价。', 'Keep this code (a screenshot will do): it lets you follow the progress and rate the result.'],
  'done.view': ['查看进度', 'View progress'],
  'done.another': ['再反映一件', 'Report another problem'],

  // status page
  'status.title': ['进度查询', 'Report progress'],
  'status.enterCode': ['请输入查询码', 'Enter your tracking code'],
  'status.codePlaceholder': ['如 K7P3Q9XM2W', 'e.g. K7P3Q9XM2W'],
  'status.forget': ['从本机记录中移除', 'Remove from this device'],
  'status.codeInvalid': ['查询码为 10 位字母和数字，请核对', 'A tracking code has 10 letters and digits: please check it'],
  'status.copy': ['复制查询码', 'Copy the code'],
  'status.query': ['查询', 'Look up'],
  'status.notFound': ['未找到该查询码，请核对后重试', 'No report with this code: please check it'],
  'status.loadFailed': ['查询失败，请稍后重试', 'Could not load the progress; try again later'],
  'status.retry': ['重试', 'Retry'],
  'status.refresh': ['刷新', 'Refresh'],
  'status.recent': ['本机提交过的反映', 'Reports filed on this device'],
  'status.newReport': ['我要反映', 'Report a problem'],
  'status.code': ['查询码', 'Tracking code'],
  'status.number': ['案件编号', 'Case number'],
  'status.category': ['问题类别', 'Category'],
  'status.area': ['所在区域', 'Area'],
  'status.dept': ['办理部门', 'Handled by'],
  'status.created': ['提交时间', 'Submitted'],
  'status.expected': ['预计办结', 'Expected by'],
  'status.closed': ['办结时间', 'Closed'],
  'status.pending': ['待分类', 'To be classified'],
  'status.pendingDept': ['待分派', 'Not yet assigned'],
  'status.progress': ['办理进度', 'Progress'],
  'status.history': ['办理记录', 'History'],
  'status.result': ['处理结果', 'Result'],
  'status.resultPhotos': ['处理后照片', 'Photos after handling'],
  'status.myPhotos': ['我上传的照片', 'My photos'],
  'status.suspended': ['该反映暂时挂起，条件具备后继续办理', 'This report is on hold and will resume when possible'],
  'status.voided': ['该反映已作废（可能是重复反映或不属于受理范围）', 'This report was voided (a duplicate, or outside our remit)'],
  'status.merged': ['该反映已与同一问题的其他反映合并办理', 'This report was merged with another one about the same problem'],
  'status.overdueHint': ['已超过预计办结时间，仍在办理中', 'Past the expected time, still being handled'],
  'step.submitted': ['已提交', 'Sent'],
  'step.accept': ['受理', 'Accept'],
  'step.register': ['立案', 'File'],
  'step.dispatch': ['派遣', 'Assign'],
  'step.handle': ['处置', 'Handle'],
  'step.verify': ['核查', 'Check'],
  'step.close': ['结案', 'Close'],
  'rate.title': ['您对处理结果满意吗？', 'Are you satisfied with the result?'],
  'rate.satisfied': ['满意', 'Satisfied'],
  'rate.basically_satisfied': ['基本满意', 'Mostly'],
  'rate.dissatisfied': ['不满意', 'Not satisfied'],
  'rate.comment': ['想说的话（选填）', 'Comment (optional)'],
  'rate.commentDissatisfied': ['请告诉我们哪里不满意（选填），问题将重新交办', 'Tell us what is wrong (optional); the case will be handled again'],
  'rate.submit': ['提交评价', 'Send rating'],
  'rate.thanks': ['感谢您的评价！', 'Thank you for your rating!'],
  'rate.reopened': ['已重新交办，办理部门将重新处理，请留意进度', 'Sent back for handling again; please watch the progress'],
  'rate.already': ['已评价过或暂不能评价', 'Already rated, or not ready for rating'],
  'rate.yours': ['您的评价：{r}', 'Your rating: {r}'],
  'rate.failed': ['评价提交失败，请重试', 'Could not send the rating; try again'],
} as const satisfies Record<string, readonly [string, string]>;

export type RKey = keyof typeof dict;
export type RT = (key: RKey, vars?: Record<string, string | number>) => string;

export function rtranslate(lang: Lang, key: RKey, vars?: Record<string, string | number>): string {
  let text: string = dict[key][lang === 'zh-CN' ? 0 : 1];
  if (vars) for (const [k, v] of Object.entries(vars)) text = text.split(`{${k}}`).join(String(v));
  return text;
}

/** The resident pages' translator and the language switch. */
export function useResidentI18n() {
  const { lang, setLang } = useI18n();
  const t = useCallback<RT>((key, vars) => rtranslate(lang, key, vars), [lang]);
  const toggle = useCallback(() => setLang(lang === 'zh-CN' ? 'en-US' : 'zh-CN'), [lang, setLang]);
  return useMemo(() => ({ lang, t, toggle }), [lang, t, toggle]);
}

/** "11月23日 14:05" in Beijing time (with the year when it is not this year). */
export function formatWhen(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '';
  const d = dayjs(iso).tz(TZ);
  if (!d.isValid()) return iso;
  const sameYear = d.year() === dayjs().tz(TZ).year();
  if (lang === 'zh-CN') return d.format(sameYear ? 'M月D日 HH:mm' : 'YYYY年M月D日 HH:mm');
  return d.locale('en').format(sameYear ? 'D MMM HH:mm' : 'D MMM YYYY HH:mm');
}

const STATUS_EN: Record<string, string> = {
  reported: 'Waiting to be accepted',
  accepted: 'Accepted, being filed',
  registered: 'Filed, being assigned',
  dispatched: 'Being handled',
  handled: 'Handled, being checked',
  verified: 'Checked, closing',
  closed: 'Closed',
  suspended: 'On hold',
  voided: 'Voided',
};

const ACTION_EN: Record<string, string> = {
  create: 'Submitted',
  accept: 'Accepted',
  register: 'Filed',
  dispatch: 'Assigned to a department',
  handle: 'Handled',
  verify: 'Checked',
  close: 'Closed',
  reopen: 'Sent back for handling again',
  void: 'Voided',
  merge: 'Merged',
  rated: 'Rated',
  suspend: 'Put on hold',
  resume: 'Resumed',
};

/** The server's labels are the staff's terms (派遣, 处置完成); a resident reads a sentence. */
const ACTION_ZH: Record<string, string> = {
  create: '已提交',
  accept: '已受理',
  register: '已立案',
  dispatch: '已派遣至办理部门',
  handle: '处置完成',
  verify: '核查通过',
  close: '已办结',
  reopen: '重新交办',
  void: '已作废',
  merge: '已合并办理',
  rated: '已评价',
  suspend: '暂时挂起',
  resume: '恢复办理',
};

/** A timeline event's label. */
export function actionLabel(lang: Lang, action: string, serverLabel: string): string {
  return (lang === 'zh-CN' ? ACTION_ZH[action] : ACTION_EN[action]) ?? serverLabel;
}

export function statusText(lang: Lang, status: string, serverLabel: string): string {
  return lang === 'zh-CN' ? serverLabel : (STATUS_EN[status] ?? serverLabel);
}

/**
 * A field message of the API, for the resident: the server's messages are English and
 * technical, so the common fields get a plain Chinese sentence.
 */
export function fieldMessage(lang: Lang, field: string, serverMessage: string): string {
  if (lang !== 'zh-CN') return serverMessage;
  const f = field.split('.')[0];
  if (f === 'description') return /at most/.test(serverMessage) ? '问题描述不能超过 2000 字' : '请描述您要反映的问题';
  if (f === 'phone') return '请填写正确的手机号';
  if (f === 'name') return '称呼不能超过 50 字';
  if (f === 'location') return '请选择位置：使用当前位置、输入地址或在地图上点选';
  if (f === 'address') return /outside/.test(serverMessage) ? '该地址不在本辖区内，请在地图上点选位置' : '未找到该地址，请换个说法或在地图上点选位置';
  if (f === 'lat' || f === 'lng') return /outside/.test(serverMessage) ? '该位置不在海宁市网格范围内，请重新选择' : '位置坐标不正确，请重新选择';
  if (f === 'photoIds') return '有照片已失效，请删除后重新上传';
  if (f === 'categoryCode') return '所选类别无效，请重新选择';
  return serverMessage;
}
