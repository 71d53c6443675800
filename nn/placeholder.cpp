// Replaced by the models issue (issue 3).
