import { callbackPage } from '../../domain/core/onboarding/callback-page';

/** `GET /enable/callback`: public, static, no configuration, no AWS calls. */
export function createCallbackHandler() {
  return async () => callbackPage();
}
