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
  // reports (事件中枢)
  'nav.group.reports': ['事件中枢', 'Reports'],
  'nav.reports.intake': ['受理台', 'Intake desk'],
  'nav.reports.triage': ['分拨队列', 'Triage queue'],
  'nav.reports.list': ['事件列表', 'Cases'],
  'nav.reports.mine': ['我的任务', 'My tasks'],
  'nav.reports.supervision': ['督办看板', 'Supervision'],
  'nav.reports.stats': ['统计分析', 'Statistics'],
  'nav.reports.settings': ['事件设置', 'Settings'],
  'nav.menu': ['菜单', 'Menu'],

  'rep.number': ['案件编号', 'Case no.'],
  'rep.status': ['状态', 'Status'],
  'rep.category': ['类别', 'Category'],
  'rep.description': ['问题描述', 'Description'],
  'rep.area': ['所在区域', 'Area'],
  'rep.address': ['地址', 'Address'],
  'rep.dept': ['责任部门', 'Department'],
  'rep.assignee': ['处置人', 'Assignee'],
  'rep.deadline': ['环节时限', 'Deadline'],
  'rep.createdAt': ['上报时间', 'Reported'],
  'rep.closedAt': ['结案时间', 'Closed'],
  'rep.expectedAt': ['预计办结', 'Expected by'],
  'rep.channel': ['来源渠道', 'Channel'],
  'rep.priority': ['紧急程度', 'Priority'],
  'rep.stage': ['当前环节', 'Current stage'],
  'rep.stageCol': ['环节', 'Stage'],
  'rep.reporter': ['上报人', 'Reporter'],
  'rep.trackingCode': ['查询码', 'Tracking code'],
  'rep.timeMode': ['计时方式', 'Time counting'],
  'rep.supervised': ['督办', 'Supervised'],
  'rep.overdue': ['超时', 'Overdue'],
  'rep.atRisk': ['即将超时', 'At risk'],
  'rep.rating': ['群众评价', 'Rating'],
  'rep.resultNote': ['处置结果', 'Result'],
  'rep.reopenCount': ['重办次数', 'Reopened'],
  'rep.mergedInto': ['已合并至', 'Merged into'],
  'rep.open': ['查看', 'Open'],
  'rep.searchPlaceholder': ['编号、描述或地址', 'Number, description or address'],
  'rep.filterStatus': ['状态（可多选）', 'Status (several)'],
  'rep.filterCategory': ['事件类别', 'Category'],
  'rep.filterStreet': ['街道·镇', 'Street / town'],
  'rep.filterChannel': ['来源渠道', 'Channel'],
  'rep.onlyOverdue': ['仅超时', 'Overdue only'],
  'rep.onlySupervised': ['仅督办', 'Supervised only'],
  'rep.viewTable': ['列表', 'Table'],
  'rep.viewMap': ['地图', 'Map'],
  'rep.mapLimit': ['地图显示符合条件的最近 {n} 条事件（共 {total} 条）', 'The map shows the latest {n} of {total} matching cases'],
  'rep.noLocation': ['无坐标', 'No location'],
  'rep.remaining': ['剩 {t}', '{t} left'],
  'rep.overdueBy': ['超时 {t}', '{t} overdue'],
  'rep.noDeadline': ['—', '—'],
  'rep.paused': ['计时暂停', 'Clock paused'],
  'rep.deadlineAt': ['时限：{t}', 'Due: {t}'],
  'rep.days': ['{n}天', '{n} d'],
  'rep.hours': ['{n}小时', '{n} h'],
  'rep.minutes': ['{n}分钟', '{n} min'],
  'rep.hoursUnit': ['小时', 'hours'],
  'rep.routing': ['分拨说明', 'Routing explanation'],
  'rep.routingHint': ['每一步为什么分到这里', 'Why the case went where it went, step by step'],
  'rep.timeline': ['办理过程', 'Timeline'],
  'rep.stages': ['环节时限', 'Stages and deadlines'],
  'rep.stageStarted': ['开始', 'Started'],
  'rep.stageDeadline': ['时限', 'Deadline'],
  'rep.stageFinished': ['完成', 'Finished'],
  'rep.onTime': ['按期', 'On time'],
  'rep.extended': ['延时', 'Extended'],
  'rep.suspendedTime': ['挂账', 'Suspended'],
  'rep.photos': ['照片', 'Photos'],
  'rep.photosReport': ['上报照片', 'Reported'],
  'rep.photosResult': ['处置照片', 'After handling'],
  'rep.noPhotos': ['无照片', 'No photos'],
  'rep.location': ['位置', 'Location'],
  'rep.basic': ['案件信息', 'Case'],
  'rep.showContact': ['查看完整联系方式', 'Show full contact'],
  'rep.contactAudited': ['查看完整联系方式将记入审计日志，确定继续？', 'Reading the full contact is recorded in the audit log. Continue?'],
  'rep.contactTitle': ['上报人联系方式', 'Reporter contact'],
  'rep.contactNote': ['本次查看已记入审计日志', 'This read has been recorded in the audit log'],
  'rep.extensions': ['延时申请', 'Extensions'],
  'rep.extRequest': ['申请延时', 'Request extension'],
  'rep.extHours': ['延长时长（小时）', 'Extra time (hours)'],
  'rep.extReason': ['申请理由', 'Reason'],
  'rep.extRequested': ['延时申请已提交，等待审批', 'Extension requested; waiting for approval'],
  'rep.extApprove': ['批准', 'Approve'],
  'rep.extReject': ['驳回', 'Reject'],
  'rep.extDecisionNote': ['审批意见（可选）', 'Decision note (optional)'],
  'rep.extApproved': ['已批准延时', 'Extension approved'],
  'rep.extRejected': ['已驳回延时', 'Extension rejected'],
  'rep.extPendingExists': ['已有待审批的延时申请', 'An extension request is already pending'],
  'rep.extBy': ['{who} 申请 {t}', '{who} asked for {t}'],
  'rep.supervisions': ['督办记录', 'Supervisions'],
  'rep.supAuto': ['超时自动督办', 'Automatic (overdue)'],
  'rep.supManual': ['人工督办', 'Manual'],
  'rep.noRecords': ['暂无记录', 'None yet'],
  'rep.updatedLive': ['案件有新的变化，已刷新', 'The case changed and has been refreshed'],
  'rep.back': ['返回', 'Back'],
  'rep.notVisible': ['该操作后案件已不在您的可见范围内', 'After this step the case is no longer in your view'],
  'rep.actionDone': ['{action}成功', '{action}: done'],
  'rep.workingTime': ['工作日计时', 'Working time'],
  'rep.naturalTime': ['自然时间计时', 'Clock time'],
  'rep.by': ['{who}', '{who}'],

  // action modal
  'act.reason': ['原因', 'Reason'],
  'act.reasonRequired': ['请填写原因', 'Give a reason'],
  'act.note': ['备注', 'Note'],
  'act.handleNote': ['处置情况', 'What was done'],
  'act.handleNoteRequired': ['请填写处置情况', 'Describe how the problem was handled'],
  'act.superviseNote': ['督办要求', 'What is asked'],
  'act.superviseRequired': ['请填写督办要求', 'Say what the supervision asks for'],
  'act.resultPhotos': ['处置后照片', 'Photos after handling'],
  'act.dept': ['派遣部门', 'Department'],
  'act.deptAuto': ['留空则由分拨规则自动确定', 'Leave empty: the routing rules decide'],
  'act.assignee': ['处置人', 'Assignee'],
  'act.assigneeAuto': ['留空则由部门或网格员承办', 'Leave empty: the department or grid worker'],
  'act.target': ['合并至案件', 'Merge into case'],
  'act.targetRequired': ['请选择要合并到的案件', 'Choose the case to merge into'],
  'act.targetPlaceholder': ['输入编号或描述搜索在办案件', 'Search open cases by number or description'],
  'act.confirm': ['确定{action}案件 {number}？', '{action} case {number}?'],
  'act.chainHint': ['将依次执行：{steps}', 'Runs in turn: {steps}'],

  // photos
  'photo.add': ['添加照片', 'Add photos'],
  'photo.camera': ['拍照 / 选图', 'Camera / gallery'],
  'photo.max': ['最多 {n} 张照片', 'At most {n} photos'],
  'photo.badType': ['仅支持 JPEG、PNG、WebP 图片', 'Only JPEG, PNG and WebP images'],
  'photo.tooBig': ['单张照片不能超过 {n} MB', 'A photo may not exceed {n} MB'],
  'photo.failed': ['上传失败', 'Upload failed'],
  'photo.uploading': ['照片上传中，请稍候', 'Photos are still uploading'],
  'photo.remove': ['移除', 'Remove'],
  'photo.retry': ['重试', 'Retry'],

  // intake
  'intake.caller': ['来电人', 'Caller'],
  'intake.callerName': ['姓名', 'Name'],
  'intake.callerPhone': ['联系电话', 'Phone'],
  'intake.phoneRule': ['请输入手机号或固定电话', 'Enter a mobile or landline number'],
  'intake.where': ['事发位置', 'Location'],
  'intake.addressPlaceholder': ['输入地址，如：硖石街道文苑小区3幢', 'Type an address, e.g. 硖石街道文苑小区3幢'],
  'intake.pinHint': ['在地图上点击可放置定位点（可拖动）', 'Click the map to place the pin (drag to move)'],
  'intake.pinAt': ['定位点', 'Pin'],
  'intake.clearPin': ['清除定位', 'Clear pin'],
  'intake.locateMe': ['使用当前位置', 'Use my location'],
  'intake.locating': ['正在定位…', 'Locating…'],
  'intake.geoFailed': ['无法获取定位，请在地图上点选位置', 'Could not get your location; place the pin on the map'],
  'intake.locationRequired': ['请输入地址或在地图上点选位置', 'Type an address or place a pin on the map'],
  'intake.inGrid': ['位于：{place}', 'In: {place}'],
  'intake.outside': ['该位置不在任何网格内', 'This point is outside every grid'],
  'intake.describe': ['请描述问题', 'Describe the problem'],
  'intake.descPlaceholder': ['发生了什么问题？如：小区门口井盖缺失，有行人绊倒风险', 'What is wrong? e.g. a manhole cover is missing at the estate gate'],
  'intake.suggest': ['智能分类建议', 'Suggested categories'],
  'intake.suggestHint': ['点击选用', 'click to choose'],
  'intake.lowConfidence': ['置信度较低，建议人工选择', 'Low confidence: better choose by hand'],
  'intake.categoryAuto': ['留空则由系统自动分类', 'Leave empty: classified automatically'],
  'intake.priorityAuto': ['默认按类别', 'By category'],
  'intake.submit': ['提交登记', 'Submit'],
  'intake.again': ['继续登记', 'New report'],
  'intake.created': ['登记成功', 'Report registered'],
  'intake.openCase': ['查看案件', 'Open the case'],
  'intake.duplicates': ['附近可能重复的在办事件', 'Possible duplicates nearby'],
  'intake.duplicatesHint': ['同类别、{m} 米内、{h} 小时内的在办事件；如为同一问题，可在分拨时合并', 'Open cases of the same category within {m} m and {h} h; merge at triage if it is the same problem'],
  'intake.distance': ['{n} 米', '{n} m'],
  'intake.noDuplicates': ['附近没有同类在办事件', 'No open case of this category nearby'],
  'intake.residentPage': ['群众上报页', 'Residents’ report page'],
  'intake.routingResult': ['分拨结果', 'Routing'],
  'intake.statusNow': ['当前状态', 'Status'],
  'intake.photos': ['现场照片', 'Photos'],
  'intake.patrolTitle': ['巡查上报', 'Patrol report'],

  // triage
  'triage.pending': ['待受理', 'To accept'],
  'triage.inProgress': ['待立案 / 待派遣', 'To register / dispatch'],
  'triage.suggestion': ['系统建议', 'Suggestion'],
  'triage.adopt': ['采纳', 'Adopt'],
  'triage.chooseCategory': ['选择类别', 'Choose category'],
  'triage.needCategory': ['请先选择类别', 'Choose a category first'],
  'triage.categorized': ['类别已设置', 'Category set'],
  'triage.dispatchAll': ['受理并派遣', 'Accept & dispatch'],
  'triage.more': ['更多', 'More'],
  'triage.empty': ['队列已清空', 'The queue is empty'],
  'triage.live': ['新事件到达时自动刷新', 'Refreshes itself when reports arrive'],

  // my tasks
  'mine.title': ['我的任务', 'My tasks'],
  'mine.patrol': ['巡查上报', 'Patrol report'],
  'mine.todo': ['待处置', 'To handle'],
  'mine.toVerify': ['待核查', 'To verify'],
  'mine.all': ['全部', 'All'],
  'mine.empty': ['暂无待办任务', 'Nothing to do'],
  'mine.handle': ['处置完成', 'Done'],
  'mine.extension': ['申请延时', 'More time'],
  'mine.return': ['回退', 'Send back'],
  'mine.verify': ['核查通过', 'Verified'],
  'mine.count': ['{n} 件', '{n}'],

  // supervision
  'sup.overdue': ['已超时', 'Overdue'],
  'sup.atRisk': ['即将超时', 'At risk'],
  'sup.supervised': ['督办中', 'Supervised'],
  'sup.pendingExt': ['待审批延时', 'Pending extensions'],
  'sup.supervise': ['督办', 'Supervise'],
  'sup.empty': ['无', 'None'],
  'sup.requested': ['申请 {t}', 'asks {t}'],

  // statistics
  'stats.period': ['统计周期', 'Period'],
  'stats.week': ['本周', 'This week'],
  'stats.month': ['本月', 'This month'],
  'stats.quarter': ['本季度', 'This quarter'],
  'stats.custom': ['自定义', 'Custom'],
  'stats.groupBy': ['分组', 'Group by'],
  'stats.byDept': ['部门', 'Department'],
  'stats.byGrid': ['网格', 'Grid'],
  'stats.byCategory': ['类别', 'Category'],
  'stats.byStreet': ['街道', 'Street'],
  'stats.byDay': ['日期', 'Day'],
  'stats.total': ['事件总数', 'Cases'],
  'stats.open': ['在办', 'Open'],
  'stats.closed': ['已办结', 'Closed'],
  'stats.voided': ['作废', 'Voided'],
  'stats.overdue': ['超时', 'Overdue'],
  'stats.resolutionRate': ['办结率', 'Resolution rate'],
  'stats.onTimeRate': ['按期办结率', 'On-time rate'],
  'stats.satisfactionRate': ['群众满意率', 'Satisfaction'],
  'stats.avgClose': ['平均办结时长', 'Average time to close'],
  'stats.byGroup': ['分组统计（前 {n}）', 'By group (top {n})'],
  'stats.trend': ['每日趋势', 'Daily trend'],
  'stats.stageTimes': ['各环节平均用时（小时）', 'Average time per stage (hours)'],
  'stats.satisfaction': ['群众评价', 'Residents’ ratings'],
  'stats.table': ['明细', 'Details'],
  'stats.noData': ['该周期内没有事件', 'No cases in this period'],
  'stats.unavailable': ['统计数据暂不可用', 'Statistics are not available'],
  'stats.avgHours': ['平均用时（小时）', 'Average (hours)'],
  'stats.count': ['件数', 'Cases'],
  'stats.rated': ['评价数', 'Ratings'],

  // settings
  'set.categories': ['事件类别', 'Categories'],
  'set.routing': ['分拨规则', 'Routing rules'],
  'set.calendar': ['工作日历', 'Working-day calendar'],
  'set.newCategory': ['新建类别', 'New category'],
  'set.parent': ['上级类别', 'Parent group'],
  'set.parentNone': ['（一级分组）', '(top-level group)'],
  'set.deptType': ['责任部门类型', 'Department type'],
  'set.limitsHours': ['各环节时限（小时）', 'Limits per stage (hours)'],
  'set.active': ['启用', 'Active'],
  'set.codeRule': ['2–8 位数字；子类须以上级编码开头', '2–8 digits; a child starts with its parent’s code'],
  'set.newRule': ['新建规则', 'New rule'],
  'set.matchBy': ['匹配条件', 'Match by'],
  'set.byCategory': ['按类别', 'Category'],
  'set.byDeptType': ['按部门类型', 'Department type'],
  'set.areaOrg': ['适用区域', 'Area'],
  'set.areaAll': ['全区（不限区域）', 'Whole district'],
  'set.targetOrg': ['分拨至', 'Send to'],
  'set.note': ['说明', 'Note'],
  'set.deleteRule': ['删除规则', 'Delete rule'],
  'set.deleteRuleConfirm': ['确定删除这条分拨规则？', 'Delete this routing rule?'],
  'set.deleted': ['已删除', 'Deleted'],
  'set.ruleHint': ['更具体的规则优先：区域越小、类别越精确的规则先匹配；无规则时按类别的部门类型交本区县对应部门。', 'The most specific rule wins (smaller area, more precise category); without a rule the category’s department type decides.'],
  'set.year': ['年度', 'Year'],
  'set.addYear': ['添加年度', 'Add year'],
  'set.holidays': ['法定节假日（休息）', 'Holidays (days off)'],
  'set.workdays': ['调休上班日（周末上班）', 'Weekend workdays (调休)'],
  'set.holidaysHint': ['选择放假的日期', 'Pick the days off'],
  'set.workdaysHint': ['仅可为周六或周日', 'Saturdays or Sundays only'],
  'set.days': ['{n} 天', '{n} days'],
  'set.calendarHint': ['工作日计时的事件时限按此日历计算：周一至周五为工作日，法定节假日休息，调休日上班。', 'Working-time deadlines follow this calendar: Monday–Friday, minus holidays, plus weekend workdays.'],
  'set.noCalendar': ['该年度尚无日历', 'No calendar for this year yet'],

  // inbox
  'inbox.title': ['消息通知', 'Notifications'],
  'inbox.readAll': ['全部已读', 'Mark all read'],
  'inbox.empty': ['暂无消息', 'No notifications'],
  'inbox.unread': ['{n} 条未读', '{n} unread'],
  'inbox.live': ['实时', 'Live'],
  'inbox.offline': ['实时连接已断开，正在重连', 'Live connection lost, reconnecting'],
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
  [/^(\S+) is not a Saturday or Sunday$/i, '$1 不是周六或周日'],
  [/^(\S+) is also listed as a holiday.*$/i, '$1 同时被列为节假日'],
  [/^(\S+) is not a date of (\d{4})$/i, '$1 不属于 $2 年'],
  [/^(\S+) repeats .*$/i, '$1 重复'],
  [/^'(\S+)' is not a valid 'YYYY-MM-DD' date$/i, '$1 不是有效日期'],
  [/^a reason is required.*$/i, '请填写原因'],
  [/^describe how the problem was handled$/i, '请填写处置情况'],
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
  report: ['事件', 'Report'],
  report_category: ['事件类别', 'Report category'],
  routing_rule: ['分拨规则', 'Routing rule'],
  calendar_year: ['工作日历', 'Working-day calendar'],
  open311_key: ['Open311 密钥', 'Open311 key'],
  file: ['文件', 'File'],
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
  'report.created': ['登记事件', 'Report created'],
  'report.transitioned': ['办理事件', 'Report step'],
  'report.extension_requested': ['申请延时', 'Extension requested'],
  'report.extension_decided': ['审批延时', 'Extension decided'],
  'report.rated': ['群众评价', 'Report rated'],
  'report.contact_read': ['查看上报人联系方式', 'Reporter contact read'],
  'report.warned': ['即将超时提醒', 'Deadline warning'],
  'report.escalated': ['超时督办', 'Escalated'],
  'category.created': ['新建事件类别', 'Category created'],
  'category.updated': ['修改事件类别', 'Category updated'],
  'routing_rule.created': ['新建分拨规则', 'Routing rule created'],
  'routing_rule.deleted': ['删除分拨规则', 'Routing rule deleted'],
  'calendar.updated': ['修改工作日历', 'Calendar updated'],
  'open311_key.created': ['创建 Open311 密钥', 'Open311 key created'],
};

const REPORT_STATUS_LABELS: Labels = {
  reported: ['待受理', 'Reported'],
  accepted: ['待立案', 'Accepted'],
  registered: ['待派遣', 'Registered'],
  dispatched: ['处置中', 'Dispatched'],
  handled: ['待核查', 'Handled'],
  verified: ['待结案', 'Verified'],
  closed: ['已结案', 'Closed'],
  suspended: ['挂账', 'Suspended'],
  voided: ['已作废', 'Voided'],
};

const REPORT_ACTION_LABELS: Labels = {
  accept: ['受理', 'Accept'],
  register: ['立案', 'Register'],
  dispatch: ['派遣', 'Dispatch'],
  handle: ['处置完成', 'Report handled'],
  verify: ['核查通过', 'Verify'],
  close: ['结案', 'Close'],
  return: ['回退', 'Send back'],
  suspend: ['挂账', 'Suspend'],
  resume: ['恢复', 'Resume'],
  void: ['作废', 'Void'],
  merge: ['合并', 'Merge'],
  reopen: ['重新办理', 'Reopen'],
  supervise: ['督办', 'Supervise'],
  reassign: ['改派', 'Reassign'],
};

/** The timeline's entries: the workflow steps plus what the system records. */
const REPORT_EVENT_LABELS: Labels = {
  ...REPORT_ACTION_LABELS,
  create: ['登记', 'Reported'],
  categorize: ['设置类别', 'Categorised'],
  merged_from: ['合并入本案', 'Case merged in'],
  extension_requested: ['申请延时', 'Extension requested'],
  extension_approved: ['批准延时', 'Extension approved'],
  extension_rejected: ['驳回延时', 'Extension rejected'],
  warned: ['即将超时提醒', 'Deadline warning'],
  escalated: ['超时督办', 'Escalated (overdue)'],
  rated: ['群众评价', 'Rated'],
};

const STAGE_LABELS: Labels = {
  accept: ['受理', 'Accept'],
  register: ['立案', 'Register'],
  dispatch: ['派遣', 'Dispatch'],
  handle: ['处置', 'Handle'],
  verify: ['核查', 'Verify'],
  close: ['结案', 'Close'],
};

const CHANNEL_LABELS: Labels = {
  resident: ['群众上报', 'Resident'],
  hotline: ['热线', 'Hotline'],
  patrol: ['巡查', 'Patrol'],
  api: ['系统接入', 'System'],
  open311: ['Open311', 'Open311'],
};

const RATING_LABELS: Labels = {
  satisfied: ['满意', 'Satisfied'],
  basically_satisfied: ['基本满意', 'Basically satisfied'],
  dissatisfied: ['不满意', 'Dissatisfied'],
};

const PRIORITY_LABELS: Labels = {
  urgent: ['紧急', 'Urgent'],
  high: ['较急', 'High'],
  normal: ['一般', 'Normal'],
  low: ['较缓', 'Low'],
};

const TIME_MODE_LABELS: Labels = {
  working: ['工作日计时', 'Working time'],
  natural: ['自然时间', 'Clock time'],
};

const ROUTING_KIND_LABELS: Labels = {
  location: ['定位', 'Location'],
  category: ['分类', 'Category'],
  rule: ['规则', 'Rule'],
  default: ['默认', 'Default'],
  grid_worker: ['网格员', 'Grid worker'],
  unrouted: ['人工', 'Manual triage'],
  manual: ['人工', 'Manual'],
};

const EXTENSION_STATUS_LABELS: Labels = {
  pending: ['待审批', 'Pending'],
  approved: ['已批准', 'Approved'],
  rejected: ['已驳回', 'Rejected'],
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
  reportStatus: (lang: Lang, code: string | null | undefined) => label(REPORT_STATUS_LABELS, lang, code),
  reportAction: (lang: Lang, code: string | null | undefined) => label(REPORT_ACTION_LABELS, lang, code),
  reportEvent: (lang: Lang, code: string | null | undefined) => label(REPORT_EVENT_LABELS, lang, code),
  stage: (lang: Lang, code: string | null | undefined) => label(STAGE_LABELS, lang, code),
  channel: (lang: Lang, code: string | null | undefined) => label(CHANNEL_LABELS, lang, code),
  rating: (lang: Lang, code: string | null | undefined) => label(RATING_LABELS, lang, code),
  priority: (lang: Lang, code: string | null | undefined) => label(PRIORITY_LABELS, lang, code),
  timeMode: (lang: Lang, code: string | null | undefined) => label(TIME_MODE_LABELS, lang, code),
  routingKind: (lang: Lang, code: string | null | undefined) => label(ROUTING_KIND_LABELS, lang, code),
  extensionStatus: (lang: Lang, code: string | null | undefined) => label(EXTENSION_STATUS_LABELS, lang, code),
};
