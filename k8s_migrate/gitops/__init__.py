"""GitOps pull requests: migrate a repository's files on a branch, commit, write a PR body, publish.

- ``git``: plain git through subprocess (one-line errors), a temporary worktree;
- ``body``: the PR body (Markdown) and the commit message, from the batch result;
- ``pr``: the whole flow.
"""
