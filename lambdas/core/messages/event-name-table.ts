/**
 * Canonical event names: Segment's semantic-spec events ("Object Action", past tense), each with the
 * spellings people use for it. Any spelling's folded form (see `foldEventName`) maps to the name.
 * Sources: Segment Spec "B2B SaaS" and "E-Commerce v2" event lists.
 */
export const SEMANTIC_EVENTS: Readonly<Record<string, readonly string[]>> = {
  // B2B SaaS
  'Account Created': ['create account', 'account create'],
  'Account Deleted': ['delete account', 'account delete'],
  'Signed Up': ['sign up', 'signup', 'sign-up', 'register', 'registered', 'registration', 'user signed up'],
  'Signed In': ['sign in', 'signin', 'log in', 'login', 'logged in'],
  'Signed Out': ['sign out', 'signout', 'log out', 'logout', 'logged out'],
  'Invite Sent': ['send invite', 'invite'],
  'Account Added User': [],
  'Account Removed User': [],
  'Trial Started': ['start trial', 'trial start'],
  'Trial Ended': ['end trial', 'trial end'],
  // E-Commerce v2
  'Products Searched': ['product search', 'search products', 'search'],
  'Product List Viewed': ['view product list'],
  'Product List Filtered': ['filter product list'],
  'Promotion Viewed': ['view promotion'],
  'Promotion Clicked': ['click promotion'],
  'Product Clicked': ['click product'],
  'Product Viewed': ['view product', 'product view'],
  'Product Added': ['add product', 'add to cart', 'added to cart'],
  'Product Removed': ['remove product', 'remove from cart', 'removed from cart'],
  'Cart Viewed': ['view cart'],
  'Checkout Started': ['start checkout', 'begin checkout', 'checkout'],
  'Checkout Step Viewed': ['view checkout step'],
  'Checkout Step Completed': ['complete checkout step'],
  'Payment Info Entered': ['enter payment info', 'add payment info'],
  'Order Updated': ['update order'],
  'Order Completed': ['complete order', 'purchase', 'purchased', 'order placed', 'place order'],
  'Order Refunded': ['refund order', 'refund'],
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
};
