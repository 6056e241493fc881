/** Public surface of the demo module: the generated demo district. */
export { seedDemo, DEMO_PASSWORD, type SeedResult } from './demo.seed.js';
export { generateDemoDistrict, generateGridLattice, DEMO_DISTRICT_CODE } from './demo.generator.js';
