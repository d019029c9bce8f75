// Package survey is the satisfaction-survey domain: versioned
// questionnaires (SIPAS and PAPI templates held as data), invitations,
// validated anonymous responses, counters kept as responses arrive, and the
// indicator arithmetic of PRODUCT.md §8 done in Go from those counters.
package survey
