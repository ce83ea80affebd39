/**
 * Canonical event names: every event of Segment's semantic specs, spelled exactly as the spec spells it
 * ("Object Action", past tense; connector words such as "as", "to", "from" in lower case), each with the
 * other spellings people use for it. Any spelling's folded form (see `foldEventName`) maps to the name.
 *
 * Sources, Segment Spec pages (segment.com/docs/connections/spec/…): "B2B SaaS", "E-Commerce v2",
 * "Native Mobile Spec", "Video", "Email", "Live Chat", "A/B Testing". docs/data-quality.md lists them.
 *
 * A folding is kept only when a reader would accept it without context: `login` is Signed In and
 * `add to cart` is Product Added, but a bare `search` (site search or product search?), `checkout`
 * (started or completed?) and `invite` (sent or accepted?) are left as they are, title-cased.
 *
 * @internal
 */
export const SEMANTIC_SPECS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  'B2B SaaS': {
    'Account Created': ['create account', 'account create'],
    'Account Deleted': ['delete account', 'account delete'],
    'Signed Up': ['sign up', 'signup', 'sign-up', 'register', 'registered', 'registration', 'user signed up'],
    'Signed In': ['sign in', 'signin', 'log in', 'login', 'logged in'],
    'Signed Out': ['sign out', 'signout', 'log out', 'logout', 'logged out'],
    'Invite Sent': ['send invite'],
    'Account Added User': [],
    'Account Removed User': [],
    'Trial Started': ['start trial', 'trial start'],
    'Trial Ended': ['end trial', 'trial end'],
  },
  'E-Commerce v2': {
    'Products Searched': ['product search', 'search products'],
    'Product List Viewed': ['view product list'],
    'Product List Filtered': ['filter product list'],
    'Promotion Viewed': ['view promotion'],
    'Promotion Clicked': ['click promotion'],
    'Product Clicked': ['click product'],
    'Product Viewed': ['view product', 'product view'],
    'Product Added': ['add product', 'add to cart', 'added to cart'],
    'Product Removed': ['remove product', 'remove from cart', 'removed from cart'],
    'Cart Viewed': ['view cart'],
    'Checkout Started': ['start checkout', 'begin checkout'],
    'Checkout Step Viewed': ['view checkout step'],
    'Checkout Step Completed': ['complete checkout step'],
    'Payment Info Entered': ['enter payment info', 'add payment info'],
    'Order Updated': ['update order'],
    // A "purchase" is what ad platforms call a completed order (Facebook's Purchase, GA4's purchase).
    'Order Completed': ['complete order', 'purchase', 'purchased', 'order placed', 'place order'],
    'Order Refunded': ['refund order'],
    'Order Cancelled': ['cancel order', 'order canceled'],
    'Coupon Entered': ['enter coupon'],
    'Coupon Applied': ['apply coupon'],
    'Coupon Denied': ['deny coupon'],
    'Coupon Removed': ['remove coupon'],
    'Product Added to Wishlist': ['add to wishlist'],
    'Product Removed from Wishlist': ['remove from wishlist'],
    'Wishlist Product Added to Cart': [],
    'Product Shared': ['share product'],
    'Cart Shared': ['share cart'],
    'Product Reviewed': ['review product'],
  },
  Mobile: {
    'Application Installed': ['app installed', 'install app'],
    'Application Opened': ['app opened', 'open app'],
    'Application Backgrounded': ['app backgrounded'],
    'Application Updated': ['app updated'],
    'Application Uninstalled': ['app uninstalled'],
    'Application Crashed': ['app crashed'],
    'Install Attributed': [],
    'Push Notification Received': [],
    'Push Notification Tapped': [],
    'Push Notification Bounced': [],
    'Deep Link Opened': [],
    'Deep Link Clicked': [],
  },
  Video: {
    'Video Playback Started': [],
    'Video Playback Paused': [],
    'Video Playback Interrupted': [],
    'Video Playback Buffer Started': [],
    'Video Playback Buffer Completed': [],
    'Video Playback Seek Started': [],
    'Video Playback Seek Completed': [],
    'Video Playback Resumed': [],
    'Video Playback Completed': [],
    'Video Playback Exited': [],
    'Video Content Started': [],
    'Video Content Playing': [],
    'Video Content Completed': [],
    'Video Ad Started': [],
    'Video Ad Playing': [],
    'Video Ad Completed': [],
  },
  Email: {
    'Email Bounced': [],
    'Email Delivered': [],
    'Email Link Clicked': [],
    'Email Marked as Spam': [],
    'Email Opened': [],
    Unsubscribed: [],
  },
  'Live Chat': {
    'Live Chat Conversation Started': [],
    'Live Chat Conversation Ended': [],
    'Live Chat Message Sent': [],
    'Live Chat Message Received': [],
  },
  'A/B Testing': {
    'Experiment Viewed': [],
  },
};

/** Every spec's events in one table: canonical name → other spellings. */
export const SEMANTIC_EVENTS: Readonly<Record<string, readonly string[]>> = Object.assign(
  {},
  ...Object.values(SEMANTIC_SPECS),
);

/**
 * Words the specs write in lower case inside a name ("Email Marked as Spam", "Product Added to
 * Wishlist"); an unknown name is title-cased the same way. The first word is always capitalized.
 */
export const CONNECTOR_WORDS: ReadonlySet<string> = new Set([
  'a',
  'an',
  'and',
  'as',
  'at',
  'by',
  'for',
  'from',
  'in',
  'of',
  'on',
  'or',
  'the',
  'to',
  'with',
]);
