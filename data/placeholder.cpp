// Replaced by the data issue (issue 4).
