"""mitmproxy addons: thin hooks that call the policy and classifiers."""
