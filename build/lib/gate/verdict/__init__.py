"""Stage 7, the verdict: which findings block (severity threshold, suppressions with expiry,
baselines). Runs after findings, so a cached analysis can be re-judged under another policy."""
