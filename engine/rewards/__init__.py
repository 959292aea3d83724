"""Rewards: coupons (templates, issuing, redemption by orders) and points (earning, grants, boosts, expiry)."""
