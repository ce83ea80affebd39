import {
  compileAliases,
  foldEventName,
  normalizeEventName,
} from '../../lambdas/core/messages/normalize-event-name';

describe('normalizeEventName', () => {
  it.each([
    'sign_up',
    'signup',
    'sign-up',
    'Sign Up',
    'SIGN UP',
    'signUp',
    'SignUp',
    ' sign  up ',
    'Signed Up',
    'signed_up',
    'user_signed_up',
  ])('%s is Signed Up', (raw) => {
    expect(normalizeEventName(raw)).toEqual({ canonical: 'Signed Up', key: 'signedup' });
  });

  it.each([
    ['order_completed', 'Order Completed'],
    ['purchase', 'Order Completed'],
    ['add_to_cart', 'Product Added'],
    ['productViewed', 'Product Viewed'],
    ['login', 'Signed In'],
    ['trial-started', 'Trial Started'],
    ['Products Searched', 'Products Searched'],
  ])('%s is the semantic-spec event %s', (raw, canonical) => {
    expect(normalizeEventName(raw).canonical).toBe(canonical);
  });

  it('title-cases names outside the spec, the same for every spelling', () => {
    const names = ['button_clicked', 'Button Clicked', 'buttonClicked', 'BUTTON-CLICKED'].map((n) =>
      normalizeEventName(n),
    );

    expect(new Set(names.map((n) => n.canonical))).toEqual(new Set(['Button Clicked']));
    expect(new Set(names.map((n) => n.key))).toEqual(new Set(['buttonclicked']));
  });

  it('lets a customer alias win over the table, in any spelling', () => {
    const aliases = compileAliases({ 'Account Opened': 'Signed Up', purchase: 'Subscription Paid' });

    expect(normalizeEventName('account_opened', aliases).canonical).toBe('Signed Up');
    expect(normalizeEventName('PURCHASE', aliases).canonical).toBe('Subscription Paid');
  });

  it('changes nothing when applied to its own output', () => {
    const aliases = compileAliases({ 'x-y': 'iOS Install' });
    for (const raw of ['sign_up', 'x_y', 'Some thing', 'checkout', 'step2Done', '🚀']) {
      const once = normalizeEventName(raw, aliases);

      expect(normalizeEventName(once.canonical, aliases)).toEqual(once);
    }
  });

  it('folds separators, case and camelCase away', () => {
    expect(foldEventName('Sign-Up_now')).toBe('signupnow');
    expect(foldEventName('signUpNow')).toBe('signupnow');
  });
});
