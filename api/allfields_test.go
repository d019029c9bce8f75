package api_test

// hasField reports whether the problem lists field among its errors.
func hasField(p problem, field string) bool {
	for _, e := range p.Errors {
		if e.Field == field {
			return true
		}
	}
	return false
}
