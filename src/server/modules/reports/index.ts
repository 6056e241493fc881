/** Public surface of the reports module: residents' reports and the closed loop (事件中枢). */
export { createReportsService, ensureReportDefaults, type ReportsService, type Classifier, type ReportInput } from './reports.service.js';
export { createReportSettings, type ReportSettings } from './reports.settings.js';
export { registerReportRoutes } from './reports.routes.js';
export { STAGES, STAGE_LABELS, PRIORITIES, DEFAULT_CATEGORIES, LEAF_CATEGORIES, type Stage, type Priority } from './reports.categories.js';
export { STATUSES, STATUS_LABELS, ACTIONS, ACTION_LABELS, type Status, type Action } from './reports.workflow.js';
export { seedDemoReports, DEMO_OPEN311_KEY } from './reports.demo.js';
