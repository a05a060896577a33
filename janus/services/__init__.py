"""Domain services: every write happens here, in one transaction with its
audit row (and its security event where one applies). Routes, the seed
loader and the operator tools call these functions with an ``Actor``."""
