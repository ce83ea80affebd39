import { SEMANTIC_SPECS } from '../../../../domain/core/messages/event-name-table';
import {
  compileAliases,
  foldEventName,
  normalizeEventName,
} from '../../../../domain/core/messages/normalize-event-name';

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

describe('Segment semantic spec names', () => {
  const specNames = Object.entries(SEMANTIC_SPECS).flatMap(([spec, events]) =>
    Object.keys(events).map((name) => [spec, name] as const),
  );

  it.each(specNames)('keeps %s’s “%s” exactly as the spec spells it', (_spec, name) => {
    expect(normalizeEventName(name).canonical).toBe(name);
  });

  it('covers every spec the issue names, with no name in two specs', () => {
    expect(Object.keys(SEMANTIC_SPECS).sort()).toEqual(
      ['A/B Testing', 'B2B SaaS', 'E-Commerce v2', 'Email', 'Live Chat', 'Mobile', 'Video'].sort(),
    );
    const names = specNames.map(([, name]) => name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('folds other spellings of a spec name onto it', () => {
    expect(normalizeEventName('email_marked_as_spam').canonical).toBe('Email Marked as Spam');
    expect(normalizeEventName('EMAIL MARKED AS SPAM').canonical).toBe('Email Marked as Spam');
    expect(normalizeEventName('productAddedToWishlist').canonical).toBe('Product Added to Wishlist');
    expect(normalizeEventName('video-playback-started').canonical).toBe('Video Playback Started');
  });

  it('title-cases an unknown name as the specs do: connector words lower case unless first', () => {
    expect(normalizeEventName('report_exported_as_pdf').canonical).toBe('Report Exported as Pdf');
    expect(normalizeEventName('the plan upgraded').canonical).toBe('The Plan Upgraded');
    expect(normalizeEventName('invoice sent to customer from app').canonical).toBe(
      'Invoice Sent to Customer from App',
    );
  });

  it('leaves ambiguous bare words alone instead of guessing an event', () => {
    expect(normalizeEventName('search').canonical).toBe('Search');
    expect(normalizeEventName('checkout').canonical).toBe('Checkout');
    expect(normalizeEventName('invite').canonical).toBe('Invite');
  });
});
