/** Public surface of the demo module: the generated demo district. */
export { seedDemo, DEMO_PASSWORD, type SeedResult } from './demo.seed.js';
export { generateDemoDistrict, generateGridLattice } from './demo.generator.js';
