"""tickerpulse: market sentiment analytics from social posts, news and prices."""
