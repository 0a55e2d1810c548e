import { fuzzSuite } from './suite';

// 4 files: 500 fixed-seed requests in npm test, 10,000 in npm run test:deep (suite.ts).
fuzzSuite('fuzz 1/4', 16_001);
