import { callbackPage } from '../core/onboarding/callback-page';

/** `GET /enable/callback`: public, static, no configuration, no AWS calls. */
export const handler = async () => callbackPage();
