/** Public surface of the alerts module: devices, readings, rules, warnings verified on site, reconciliation (智能预警 + 人工核验). */
export { createIngestService, checkReading, type IngestService } from './alerts.ingest.js';
export { createWarningsService, applySteps, loadRuleStates, type WarningsService } from './alerts.warnings.js';
export { createRulesService, type RulesService } from './alerts.rules.js';
export { registerAlertRoutes } from './alerts.routes.js';
export { registerNgsiRoutes } from './alerts.ngsi.routes.js';
export { mqttReadingHandler, READINGS_TOPIC } from './alerts.mqtt.js';
export { assessWater } from './alerts.gb3838.js';
