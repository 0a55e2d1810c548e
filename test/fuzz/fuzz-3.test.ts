import { fuzzSuite } from './suite';

// 4 files x 2,500 = 10,000 generated requests in npm test, in parallel where cores allow.
fuzzSuite('fuzz 3/4', 2500, 16_003);
