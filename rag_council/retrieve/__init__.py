"""Retrieve: question -> ranked passages.

* `retrievers`: the `Retriever` contract, dense, keyword and the default hybrid pipeline;
* `query`: question understanding (dates, periods, committees, document types, titles);
* `rerank`: the `Reranker` contract (lexical default, cross-encoder slot);
* `context`: each passage widened with its neighbours for the answerer to read.

Import from the submodules (this package imports nothing, so that `index` may use `query`)."""
