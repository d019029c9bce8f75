// Package survey will hold the satisfaction-survey domain (SIPAS and PAPI
// questionnaires, responses and indicators); see the surveys issue.
package survey
