// Replaced by the training issue (issue 5).
