"""The subscription business, free of HTTP: accounts, tiers, billing, alerts, watchlists, posts.

Accounts and their passwords, sign-in limits, API keys and account requests;
tiers, plan changes, billing providers and their webhook payloads; alert rules,
their store, evaluation and delivery by mail; watchlists, editorial posts,
usage counts and the demo accounts. The web layer (:mod:`tickerpulse.web`)
and the cycle (:mod:`tickerpulse.jobs`, for alerts) call it; it imports
neither fastapi nor starlette, nor anything of the web layer.
"""
