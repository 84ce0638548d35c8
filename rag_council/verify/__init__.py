"""Verify: every sentence of an answer against the passages it cites.

* `citations`: claims and their [n] markers, exact quotes, renumbering;
* `support`: the `SupportChecker` contract (lexical default, LLM variant);
* `checking`: the one post-generation check that every generator's text goes through."""
