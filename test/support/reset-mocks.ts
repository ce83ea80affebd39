import { afterEachFile, afterEachTest } from './aws-mocks';

// Every test file: AWS SDK stubs never outlive their test (test/support/aws-mocks.ts), and jest's own
// mocks (jest.fn, spies made in a test) lose their recorded calls between tests (clearMocks in
// jest.config.ts).
afterEach(afterEachTest);
afterAll(afterEachFile);
